#!/usr/bin/env bash
# The contender: what batch scripts do today with the aws CLI. For each profile and region, and
# for each direction and family: describe the groups with the CIDR filter, then for every
# permission allowing the old CIDR authorize the new one and revoke the old one.
# Inputs (environment): AWS (the aws command), PROFILES, REGIONS, OLD, NEW, OLD6, NEW6.
set -uo pipefail
for profile in $PROFILES; do
  for region in $REGIONS; do
    for spec in \
      "ingress ip-permission.cidr IpPermissions IpRanges CidrIp $OLD $NEW" \
      "egress egress.ip-permission.cidr IpPermissionsEgress IpRanges CidrIp $OLD $NEW" \
      "ingress ip-permission.ipv6-cidr IpPermissions Ipv6Ranges CidrIpv6 $OLD6 $NEW6" \
      "egress egress.ip-permission.ipv6-cidr IpPermissionsEgress Ipv6Ranges CidrIpv6 $OLD6 $NEW6"
    do
      read -r direction filter perms ranges field old new <<<"$spec"
      $AWS ec2 describe-security-groups --profile "$profile" --region "$region" \
        --filters "Name=$filter,Values=$old" --output json |
        jq -c --arg old "$old" --arg perms "$perms" --arg ranges "$ranges" --arg field "$field" '
          .SecurityGroups[] | .GroupId as $g | .[$perms][]
          | select(any(.[$ranges][]; .[$field] == $old))
          | {g: $g, p: (del(.UserIdGroupPairs, .PrefixListIds, .IpRanges, .Ipv6Ranges))}' |
        while read -r item; do
          group=$(jq -r .g <<<"$item")
          base=$(jq -c .p <<<"$item")
          add=$(jq -c --arg r "$ranges" --arg f "$field" --arg c "$new" '. + {($r): [{($f): $c}]}' <<<"$base")
          drop=$(jq -c --arg r "$ranges" --arg f "$field" --arg c "$old" '. + {($r): [{($f): $c}]}' <<<"$base")
          $AWS ec2 "authorize-security-group-$direction" --profile "$profile" --region "$region" \
            --group-id "$group" --ip-permissions "[$add]" >/dev/null 2>&1 || true
          $AWS ec2 "revoke-security-group-$direction" --profile "$profile" --region "$region" \
            --group-id "$group" --ip-permissions "[$drop]" >/dev/null
        done
    done
  done
done
