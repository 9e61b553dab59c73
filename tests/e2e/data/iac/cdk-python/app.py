import aws_cdk as cdk
from aws_cdk import aws_ec2 as ec2

OFFICE = "192.0.2.0/24"  # the old office, until the move


class WebStack(cdk.Stack):
    def __init__(self, scope, name, **kwargs):
        super().__init__(scope, name, **kwargs)
        vpc = ec2.Vpc(self, "Vpc", ip_addresses=ec2.IpAddresses.cidr("10.80.0.0/16"))
        group = ec2.SecurityGroup(self, "Web", vpc=vpc, description="web from 192.0.2.0/24")
        group.add_ingress_rule(ec2.Peer.ipv4(OFFICE), ec2.Port.tcp(443), "https from the office")
        for cidr in ["192.0.2.0/24", "203.0.113.0/24"]:
            group.add_ingress_rule(ec2.Peer.ipv4(cidr), ec2.Port.tcp(22))
        base = "10.90.0.0"
        group.add_ingress_rule(ec2.Peer.ipv4(f"{base}/24"), ec2.Port.tcp(8443))


app = cdk.App()
WebStack(app, "web")
app.synth()
