# Office ranges. The old office (192.0.2.0/24) closes at the end of the quarter.
variable "office_ranges" {
  description = "Ranges allowed to reach the bastion, e.g. 192.0.2.0/24"
  type        = list(string)
  default     = ["192.0.2.0/24", "10.20.0.0/16"]
}

variable "vpn_host" {
  type    = string
  default = "192.0.2.10/32"
}

variable "base" {
  type    = string
  default = "10.30.0.0"
}
