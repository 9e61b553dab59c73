import * as cdk from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';

// Offices: 192.0.2.0/24 closes at the end of the quarter.
const OFFICES = ['192.0.2.0/24', '203.0.113.0/24'];

export class WebStack extends cdk.Stack {
  constructor(scope: cdk.App, id: string, props: { base: string }) {
    super(scope, id);
    const vpc = new ec2.Vpc(this, 'Vpc');
    const group = new ec2.SecurityGroup(this, 'Web', { vpc, description: 'web from 192.0.2.0/24' });
    for (const cidr of OFFICES) {
      group.addIngressRule(ec2.Peer.ipv4(cidr), ec2.Port.tcp(443));
    }
    group.addIngressRule(ec2.Peer.ipv4("192.0.2.0/24"), ec2.Port.tcp(22), 'ssh');
    group.addIngressRule(ec2.Peer.ipv4(`${props.base}/24`), ec2.Port.tcp(8443));
  }
}
