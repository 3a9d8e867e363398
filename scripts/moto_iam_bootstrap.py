"""Bootstraps the IAM-enforcing moto server (scripts/moto.sh, moto_iam_start).

The server runs with INITIAL_NO_AUTH_ACTION_COUNT=3: its first three actions are unchecked and
every later one is authenticated and authorised. Those three make the suite's administrator
(CreateUser, PutUserPolicy with everything allowed, CreateAccessKey); nothing else reaches the
server before them, because moto_iam_start runs this before any test starts. Then it proves that
enforcement is on: unknown keys are refused and the administrator's work.
Prints `KEY_ID SECRET` on success.
"""

import json
import sys

import boto3
import botocore.exceptions

endpoint = sys.argv[1]
ADMIN = "zsync-test-admin"


def client(service, key_id="bootstrap", secret="bootstrap"):
    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id=key_id,
        aws_secret_access_key=secret,
    )


iam = client("iam")
iam.create_user(UserName=ADMIN)
iam.put_user_policy(
    UserName=ADMIN,
    PolicyName="everything",
    PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
    ),
)
key = iam.create_access_key(UserName=ADMIN)["AccessKey"]

try:
    client("iam").list_users()
except botocore.exceptions.ClientError as e:
    if e.response["Error"]["Code"] != "InvalidClientTokenId":
        raise
else:
    sys.exit("moto does not enforce IAM: unknown keys were accepted")
client("iam", key["AccessKeyId"], key["SecretAccessKey"]).get_user(UserName=ADMIN)
print(key["AccessKeyId"], key["SecretAccessKey"])
