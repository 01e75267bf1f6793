/**
 * A subnet and security group of moto's default VPC, which RunTask needs for awsvpc tasks.
 * Read with EC2's query protocol directly: no EC2 client is a dependency of circle-fargate.
 */
export async function defaultNetwork(url: string): Promise<{ subnet: string; securityGroup: string }> {
  const query = async (action: string, pattern: RegExp): Promise<string> => {
    const response = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: 'AWS4-HMAC-SHA256 Credential=testing/20260101/ap-northeast-1/ec2/aws4_request, SignedHeaders=host, Signature=0',
      },
      body: `Action=${action}&Version=2016-11-15`,
    });
    const text = await response.text();
    const found = pattern.exec(text)?.[1];
    if (found === undefined) throw new Error(`${action} on moto: nothing found in ${text.slice(0, 200)}`);
    return found;
  };
  return {
    subnet: await query('DescribeSubnets', /<subnetId>(subnet-[0-9a-f]+)<\/subnetId>/),
    securityGroup: await query('DescribeSecurityGroups', /<groupId>(sg-[0-9a-f]+)<\/groupId>/),
  };
}
