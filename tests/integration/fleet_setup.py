"""Set up fleet publishing in moto (its checks off): the bucket, the
shipped publisher policy added to the seeded sync user "nss-iam-sync",
and a user "fleet-instance" holding only the shipped instance policy,
whose access key goes to ENV_FILE as AWS_* lines. The publisher
policy's queue is moto's account's QUEUE (default nss-iam-events).

    fleet_setup.py ENDPOINT POLICY_DIR BUCKET/KEY ENV_FILE [QUEUE]
"""
import sys

import boto3


def main():
    url, pdir, obj, env = sys.argv[1:5]
    queue = sys.argv[5] if len(sys.argv) > 5 else "nss-iam-events"
    kw = dict(endpoint_url=url, region_name="us-east-1",
              aws_access_key_id="admin", aws_secret_access_key="admin")
    boto3.client("s3", **kw).create_bucket(Bucket=obj.split("/")[0])
    iam = boto3.client("iam", **kw)

    def policy(name):
        with open("%s/%s" % (pdir, name)) as f:
            return (f.read().replace("BUCKET/KEY", obj)
                    .replace(":ACCOUNT_ID:QUEUE", ":123456789012:" + queue))

    iam.put_user_policy(UserName="nss-iam-sync",
                        PolicyName="fleet-publisher",
                        PolicyDocument=policy("fleet-publisher-policy.json"))
    iam.create_user(UserName="fleet-instance")
    iam.put_user_policy(UserName="fleet-instance",
                        PolicyName="fleet-instance",
                        PolicyDocument=policy("fleet-instance-policy.json"))
    key = iam.create_access_key(UserName="fleet-instance")["AccessKey"]
    with open(env, "w") as f:
        f.write("AWS_ACCESS_KEY_ID=%s\nAWS_SECRET_ACCESS_KEY=%s\n"
                % (key["AccessKeyId"], key["SecretAccessKey"]))


if __name__ == "__main__":
    main()
