#!/usr/bin/env python3
"""Translate infra/template.yaml (AWS SAM) to plain CloudFormation, offline.

    translate.py TEMPLATE            the whole template as CloudFormation JSON (for cfn-lint)
    translate.py TEMPLATE --data     only the data resources the tests deploy: the table, the
                                     queues and the KMS key they use, and the network that gives
                                     BKN one egress address (VPC, subnets, NAT gateway with its
                                     Elastic IP, routes, endpoints, security group, flow logs),
                                     with the outputs that name them. Functions, event source
                                     mappings, APIs, alarms and secrets (but the SSO token secret) are left out: an emulator
                                     cannot run functions, and moto's event source mapping would
                                     consume the messages.

Uses samtranslator (shipped with cfn-lint); no AWS call is made.
"""

import json
import re
import sys

from samtranslator.translator.transform import transform
from samtranslator.yaml_helper import yaml_parse

DATA_TYPES = {"AWS::DynamoDB::Table", "AWS::SQS::Queue", "AWS::KMS::Key"}
NETWORK_TYPES = {
    "AWS::EC2::VPC", "AWS::EC2::Subnet", "AWS::EC2::InternetGateway", "AWS::EC2::VPCGatewayAttachment",
    "AWS::EC2::RouteTable", "AWS::EC2::Route", "AWS::EC2::SubnetRouteTableAssociation", "AWS::EC2::EIP",
    "AWS::EC2::NatGateway", "AWS::EC2::VPCEndpoint", "AWS::EC2::SecurityGroup", "AWS::EC2::FlowLog",
}
# Network resources that need a resource of another kind, and the one secret the functions
# write themselves (pasted SSO tokens), which the tests exercise.
NETWORK_SUPPORT = {"VpcFlowLogs", "VpcFlowLogRole", "BknSsoSecret"}


class OfflinePolicies:
    """samtranslator asks IAM for managed policy ARNs; the template uses none by name."""

    def load(self):
        return {}


def references(node):
    """Logical ids a CloudFormation value refers to."""
    found = set()
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "Ref" and isinstance(value, str):
                found.add(value)
            elif key == "Fn::GetAtt":
                target = value[0] if isinstance(value, list) else str(value).split(".")[0]
                found.add(target)
            elif key == "Fn::Sub":
                text = value[0] if isinstance(value, list) else value
                for name in re.findall(r"\$\{([A-Za-z0-9]+)(?:\.[A-Za-z]+)?\}", text):
                    found.add(name)
                if isinstance(value, list) and len(value) > 1:
                    found |= references(value[1])
            else:
                found |= references(value)
    elif isinstance(node, list):
        for item in node:
            found |= references(item)
    return found


def data_only(cfn):
    resources = {
        k: v for k, v in cfn["Resources"].items()
        if v["Type"] in DATA_TYPES | NETWORK_TYPES or k in NETWORK_SUPPORT
    }
    names = set(resources) | set(cfn.get("Parameters", {})) | {"AWS::AccountId", "AWS::Region", "AWS::Partition", "AWS::StackName", "AWS::NoValue"}
    outputs = {k: v for k, v in cfn.get("Outputs", {}).items() if references(v["Value"]) <= names}
    missing = set()
    for resource in resources.values():
        missing |= references(resource) - names
    if missing:
        sys.exit(f"data resources refer to resources left out: {sorted(missing)}")
    kept = {"AWSTemplateFormatVersion": cfn.get("AWSTemplateFormatVersion", "2010-09-09"), "Resources": resources, "Outputs": outputs}
    if cfn.get("Parameters"):
        kept["Parameters"] = cfn["Parameters"]
    if cfn.get("Conditions"):
        kept["Conditions"] = cfn["Conditions"]
    return kept


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    if len(args) != 1:
        sys.exit(__doc__)
    with open(args[0], encoding="utf-8") as f:
        sam = yaml_parse(f.read())
    # Before `sam package`, CodeUri is a local path; the translator wants S3 (cfn-lint does the same).
    for resource in sam.get("Resources", {}).values():
        props = resource.get("Properties") or {}
        if resource.get("Type") == "AWS::Serverless::Function" and not str(props.get("CodeUri", "")).startswith("s3://"):
            props["CodeUri"] = "s3://local-build/function.zip"
    cfn = transform(sam, {}, OfflinePolicies())
    if "--data" in sys.argv:
        cfn = data_only(cfn)
    json.dump(cfn, sys.stdout, indent=1, sort_keys=True)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
