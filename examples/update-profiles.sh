#!/usr/bin/env bash
# Move every profile whose name starts with a prefix from one office range to another.
#
#   examples/update-profiles.sh prod- 192.0.2.0/24 198.51.100.0/24
#
# One sgupdater run covers all the profiles at once (concurrently, each failure isolated);
# the plan is written for review first, and the exit status says whether anything failed.
set -euo pipefail
prefix=${1:?profile prefix}
old=${2:?old CIDR}
new=${3:?new CIDR}

profiles=()
while read -r name; do
  [[ $name == "$prefix"* ]] && profiles+=(-p "$name")
done < <(aws configure list-profiles)
(( ${#profiles[@]} )) || { echo "no profile starts with $prefix" >&2; exit 2; }

stamp=$(date +%Y%m%dT%H%M%S)
sgupdater update --from-cidr "$old" --to-cidr "$new" "${profiles[@]}" --dry-run -o tsv \
  > "plan-$stamp.tsv"
echo "plan written to plan-$stamp.tsv ($(($(wc -l < "plan-$stamp.tsv") - 1)) changes)"
read -r -p "apply it? [y/N] " answer
[[ $answer == [yY]* ]] || { echo "nothing changed"; exit 0; }
sgupdater update --from-cidr "$old" --to-cidr "$new" "${profiles[@]}" --yes -o json \
  > "result-$stamp.json"
echo "result written to result-$stamp.json"
