resource "aws_security_group" "bastion" {
  name        = "bastion"
  description = "SSH from the offices"
  vpc_id      = var.vpc_id
}

resource "aws_security_group_rule" "ssh" {
  for_each          = toset(var.office_ranges)
  type              = "ingress"
  from_port         = 22
  to_port           = 22
  protocol          = "tcp"
  cidr_blocks       = [each.value]
  security_group_id = aws_security_group.bastion.id
}

resource "aws_security_group_rule" "https" {
  type              = "ingress"
  from_port         = 443
  to_port           = 443
  protocol          = "tcp"
  cidr_blocks       = ["192.0.2.0/24", "198.51.100.0/24", var.vpn_host]
  security_group_id = aws_security_group.bastion.id
}

locals {
  office_subnet = cidrsubnet("192.0.2.0/24", 4, 2)
  branch        = "${var.base}/24"
  legacy_note   = "moved from 192.0.2.0/24 in 2026"
}
