#!/usr/bin/env bash
# Move every profile matching a pattern from one office range to another: plan, review, apply
# exactly the reviewed plan. Needs only sgupdater (profiles are read from the AWS config files).
#
#   examples/update-profiles.sh 'prod-*' 192.0.2.0/24 198.51.100.0/24         # asks before applying
#   examples/update-profiles.sh --yes 'prod-*' 192.0.2.0/24 198.51.100.0/24   # unattended (cron, CI)
#
# Exit status: 0 done (or nothing to do), 1 something failed or was left (named on stderr),
# 2 bad input, 130 interrupted. The plan, its review and the result stay in the directory.
set -euo pipefail
yes=()
if [[ ${1:-} == --yes ]]; then yes=(--yes); shift; fi
pattern=${1:?profile pattern, e.g. 'prod-*'}
old=${2:?old CIDR}
new=${3:?new CIDR}

stamp=$(date +%Y%m%dT%H%M%S)
plan=plan-$stamp.json
# Exit 3: the plan changes something; 0: nothing to do; anything else is a failure.
status=0
sgupdater update --from-cidr "$old" --to-cidr "$new" -p "$pattern" -q \
  --dry-run --plan-out "$plan" --detailed-exitcode -o tsv > /dev/null || status=$?
if (( status == 0 )); then
  echo "nothing to change for profiles $pattern" >&2
  exit 0
fi
(( status == 3 )) || exit "$status"

digest=$( (sha256sum "$plan" 2>/dev/null || shasum -a 256 "$plan") | cut -d' ' -f1)
sgupdater show-plan "$plan" -o markdown > "review-$stamp.md"
sgupdater show-plan "$plan" -o table >&2
if (( ${#yes[@]} == 0 )); then
  [[ -t 0 ]] || { echo "no terminal to ask on: pass --yes to apply unattended" >&2; exit 2; }
  read -r -p "apply exactly this plan (sha256 $digest)? [y/N] " answer || answer=
  [[ $answer == [yY]* ]] || { echo "nothing changed" >&2; exit 1; }
fi
sgupdater apply "$plan" --sha256 "$digest" --yes -o json > "result-$stamp.json"
echo "applied; result in result-$stamp.json, review in review-$stamp.md" >&2
