#!/usr/bin/env bash
# The reference walkthrough (../shared/WALKTHROUGH.md), step by step with the
# AWS CLI against a gatehouse binary, then the traffic (dig, curl), then the
# clean-up in the walkthrough's order, checking that each step stops its
# traffic. Needs root (the data plane binds port 443 on loopback addresses),
# aws, dig, curl and python3.
#
#   test/cli/walkthrough.sh path/to/gatehouse
#
# With GATEHOUSE_ENDPOINT set (http://HOST:PORT of a running gatehouse's AWS
# API: one node of a cluster), it drives that gatehouse instead of starting
# one: GATEHOUSE_DNS_PORT is where its nameserver answers on 127.0.0.1,
# GATEHOUSE_CA its ca.pem, GATEHOUSE_ACCESS_KEY/GATEHOUSE_SECRET_KEY its keys.
# WALKTHROUGH_KEEP=1 stops after the validation (step 7), leaving the setup
# in place, and prints the static IPs.
set -euo pipefail

bin=$(realpath "${1:?usage: walkthrough.sh path/to/gatehouse}")
work=$(mktemp -d)
domain=api.example.test

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
pid=
if [ -n "${GATEHOUSE_ENDPOINT:-}" ]; then
  endpoint=$GATEHOUSE_ENDPOINT
  dns_port=${GATEHOUSE_DNS_PORT:?GATEHOUSE_DNS_PORT goes with GATEHOUSE_ENDPOINT}
  ca=${GATEHOUSE_CA:?GATEHOUSE_CA goes with GATEHOUSE_ENDPOINT}
  touch "$work/serve.out" "$work/serve.err"
else
  dns_port=$(free_port)
  api_port=$(free_port)
  endpoint="http://127.0.0.1:$api_port"
  ca="$work/data/ca.pem"
  # An address plan of its own, so this runs beside a gatehouse on the
  # default plan and beside the Go end-to-end tests.
  "$bin" serve --data-dir "$work/data" --dns-listen "127.0.0.1:$dns_port" --aws-listen "127.0.0.1:$api_port" \
    --vpc-cidr 127.34.0.0/16 --static-ip-pools 127.80.1.0/24,127.80.2.0/24 --log-level warn \
    >"$work/serve.out" 2>"$work/serve.err" &
  pid=$!
fi
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

fail() {
  echo "FAIL: $*" >&2
  echo "--- gatehouse stderr:" >&2
  cat "$work/serve.err" >&2
  exit 1
}
step() { echo "== $*"; }

# eventually CMD...: until CMD succeeds; the limit only bounds a hang.
eventually() {
  for _ in $(seq 600); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.1
  done
  fail "never: $*"
}

if [ -n "$pid" ]; then
  for _ in $(seq 300); do
    grep -q '^gatehouse serving' "$work/serve.out" && break
    kill -0 "$pid" 2>/dev/null || fail "gatehouse exited"
    sleep 0.1
  done
  grep -q '^gatehouse serving' "$work/serve.out" || fail "gatehouse did not come up"
fi

export AWS_ACCESS_KEY_ID=${GATEHOUSE_ACCESS_KEY:-test} AWS_SECRET_ACCESS_KEY=${GATEHOUSE_SECRET_KEY:-test}
export AWS_DEFAULT_REGION=us-west-2 AWS_PAGER=""
export AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null
aws() { command aws --endpoint-url "$endpoint" "$@"; }
text() { aws "$@" --output text; }

# expect_error CODE CMD...: CMD fails with the AWS error code CODE.
expect_error() {
  local code=$1 out
  shift
  if out=$("$@" 2>&1); then fail "$* succeeded; want $code"; fi
  grep -q "($code)" <<<"$out" || fail "$*: $out; want $code"
  echo "   refused as expected: $(tail -1 <<<"$out")"
}

step "sts get-caller-identity"
[ "$(text sts get-caller-identity --query Account)" = 000000000000 ] || fail "account"

step "the hosted zone"
zone=$(text route53 create-hosted-zone --name example.test --caller-reference "cli-$$" --query HostedZone.Id)

# change ACTION NAME TYPE RECORD-JSON: one change, waited until INSYNC.
change() {
  local batch="$work/change.json" id
  printf '{"Changes":[{"Action":"%s","ResourceRecordSet":{"Name":"%s","Type":"%s",%s}}]}' "$1" "$2" "$3" "$4" >"$batch"
  id=$(text route53 change-resource-record-sets --hosted-zone-id "$zone" --change-batch "file://$batch" --query ChangeInfo.Id)
  insync() { [ "$(text route53 get-change --id "$id" --query ChangeInfo.Status)" = INSYNC ]; }
  eventually insync
}

step "1. certificate, DNS-validated"
cert=$(text acm request-certificate --domain-name $domain --validation-method DNS --query CertificateArn)
has_record() { [ "$(text acm describe-certificate --certificate-arn "$cert" --query 'Certificate.DomainValidationOptions[0].ResourceRecord.Name')" != None ]; }
eventually has_record
read -r vname vvalue < <(text acm describe-certificate --certificate-arn "$cert" \
  --query 'Certificate.DomainValidationOptions[0].ResourceRecord.[Name,Value]')
change CREATE "$vname" CNAME "\"TTL\":300,\"ResourceRecords\":[{\"Value\":\"$vvalue\"}]"
issued() { [ "$(text acm describe-certificate --certificate-arn "$cert" --query Certificate.Status)" = ISSUED ]; }
eventually issued

step "2. interface endpoint for execute-api in two zones"
vpc=$(text ec2 describe-vpcs --query 'Vpcs[0].VpcId')
subnets=$(text ec2 describe-subnets --filters Name=availability-zone,Values=us-west-2a,us-west-2b --query 'Subnets[].SubnetId')
[ "$(wc -w <<<"$subnets")" = 2 ] || fail "subnets in us-west-2a/b: $subnets"
sg=$(text ec2 create-security-group --group-name endpoint-sg --description "execute-api endpoint" --vpc-id "$vpc" --query GroupId)
aws ec2 authorize-security-group-ingress --group-id "$sg" --protocol tcp --port 443 --cidr 0.0.0.0/0 >/dev/null
# shellcheck disable=SC2086 # the subnet ids are words
vpce=$(text ec2 create-vpc-endpoint --vpc-id "$vpc" --vpc-endpoint-type Interface \
  --service-name com.amazonaws.us-west-2.execute-api --subnet-ids $subnets --security-group-ids "$sg" \
  --private-dns-enabled --query VpcEndpoint.VpcEndpointId)
available() { [ "$(text ec2 describe-vpc-endpoints --vpc-endpoint-ids "$vpce" --query 'VpcEndpoints[0].State')" = available ]; }
eventually available
endpoint_ips=$(text ec2 describe-network-interfaces --filters "Name=vpc-endpoint-id,Values=$vpce" --query 'NetworkInterfaces[].PrivateIpAddress')
[ "$(wc -w <<<"$endpoint_ips")" = 2 ] || fail "endpoint IPs: $endpoint_ips"

step "3. private REST API, GET / with a MOCK integration, resource policy, stage"
cat >"$work/policy.json" <<'EOF'
{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"execute-api:Invoke","Resource":"execute-api:/*"}]}
EOF
api=$(text apigateway create-rest-api --name demo --endpoint-configuration "types=PRIVATE,vpcEndpointIds=$vpce" --query id)
# shellcheck disable=SC2016 # a JMESPath literal, not a shell expansion
root=$(text apigateway get-resources --rest-api-id "$api" --query 'items[?path==`/`].id')
aws apigateway put-method --rest-api-id "$api" --resource-id "$root" --http-method GET --authorization-type NONE >/dev/null
aws apigateway put-integration --rest-api-id "$api" --resource-id "$root" --http-method GET --type MOCK \
  --request-templates '{"application/json":"{\"statusCode\": 200}"}' >/dev/null
aws apigateway put-method-response --rest-api-id "$api" --resource-id "$root" --http-method GET --status-code 200 >/dev/null
aws apigateway put-integration-response --rest-api-id "$api" --resource-id "$root" --http-method GET --status-code 200 >/dev/null
expect_error BadRequestException aws apigateway create-deployment --rest-api-id "$api" --stage-name prod
policy=$(tr -d '\n' <"$work/policy.json")
aws apigateway update-rest-api --rest-api-id "$api" --patch-operations "op=replace,path=/policy,value='$policy'" >/dev/null
aws apigateway create-deployment --rest-api-id "$api" --stage-name prod >/dev/null

step "4. custom domain name and API mapping"
aws apigateway create-domain-name --domain-name $domain --regional-certificate-arn "$cert" \
  --endpoint-configuration types=REGIONAL >/dev/null
mapping=$(text apigatewayv2 create-api-mapping --domain-name $domain --api-id "$api" --stage prod --query ApiMappingId)
expect_error ConflictException aws apigateway create-base-path-mapping --domain-name $domain --rest-api-id "$api" --stage prod

step "5. load balancer: target group (HTTPS, IP targets, health check matcher 403), HTTPS listener"
# ALB's default health check (30 s × 5) takes 150 s to call a target healthy;
# the walkthrough's stack file uses the fastest ALB allows, as here.
tg=$(text elbv2 create-target-group --name api-targets --protocol HTTPS --protocol-version HTTP1 --port 443 \
  --vpc-id "$vpc" --target-type ip --health-check-protocol HTTPS --matcher HttpCode=403 \
  --health-check-interval-seconds 5 --health-check-timeout-seconds 2 --healthy-threshold-count 2 --query 'TargetGroups[0].TargetGroupArn')
targets=()
for ip in $endpoint_ips; do targets+=("Id=$ip,Port=443"); done
aws elbv2 register-targets --target-group-arn "$tg" --targets "${targets[@]}" >/dev/null
alb_sg=$(text ec2 create-security-group --group-name alb-sg --description "public HTTPS" --vpc-id "$vpc" --query GroupId)
aws ec2 authorize-security-group-ingress --group-id "$alb_sg" --protocol tcp --port 443 --cidr 0.0.0.0/0 >/dev/null
# shellcheck disable=SC2086
lb=$(text elbv2 create-load-balancer --name edge --subnets $subnets --security-groups "$alb_sg" \
  --scheme internet-facing --type application --query 'LoadBalancers[0].LoadBalancerArn')
listener=$(text elbv2 create-listener --load-balancer-arn "$lb" --protocol HTTPS --port 443 \
  --certificates "CertificateArn=$cert" --default-actions "Type=forward,TargetGroupArn=$tg" --query 'Listeners[0].ListenerArn')
healthy() { [ "$(text elbv2 describe-target-health --target-group-arn "$tg" --query 'TargetHealthDescriptions[].TargetHealth.State')" = "healthy	healthy" ]; }
eventually healthy

step "   the Global Accelerator add-on"
acc=$(text globalaccelerator create-accelerator --name edge --query Accelerator.AcceleratorArn)
ga_listener=$(text globalaccelerator create-listener --accelerator-arn "$acc" --protocol TCP \
  --port-ranges FromPort=443,ToPort=443 --query Listener.ListenerArn)
group=$(text globalaccelerator create-endpoint-group --listener-arn "$ga_listener" --endpoint-group-region us-west-2 \
  --endpoint-configurations "EndpointId=$lb,ClientIPPreservationEnabled=true" --query EndpointGroup.EndpointGroupArn)
deployed() { [ "$(text globalaccelerator describe-accelerator --accelerator-arn "$acc" --query Accelerator.Status)" = DEPLOYED ]; }
eventually deployed
acc_dns=$(text globalaccelerator describe-accelerator --accelerator-arn "$acc" --query Accelerator.DnsName)
static_ips=$(text globalaccelerator describe-accelerator --accelerator-arn "$acc" --query 'Accelerator.IpSets[].IpAddresses[]' | tr '\t' '\n' | sort)
[ "$(wc -l <<<"$static_ips")" = 2 ] || fail "static IPs: $static_ips"

step "6. alias record to the accelerator"
alias_json="\"AliasTarget\":{\"HostedZoneId\":\"Z2BJ6XQ5FK7U4H\",\"DNSName\":\"$acc_dns\",\"EvaluateTargetHealth\":false}"
change CREATE $domain A "$alias_json"
printf '{"Changes":[{"Action":"CREATE","ResourceRecordSet":{"Name":"%s","Type":"A",%s}}]}' $domain "$alias_json" >"$work/again.json"
expect_error InvalidChangeBatch aws route53 change-resource-record-sets --hosted-zone-id "$zone" --change-batch "file://$work/again.json"

step "7. validation: dig, then HTTPS through each static IP"
resolved=$(dig @127.0.0.1 -p "$dns_port" +short $domain A | sort)
[ "$resolved" = "$static_ips" ] || fail "dig $domain: $resolved; want $static_ips"
for ip in $static_ips; do
  out=$(curl -sS --cacert "$ca" --resolve "$domain:443:$ip" -o "$work/body" -w '%{http_code}' "https://$domain/")
  if [ "$out" != 200 ] || [ -s "$work/body" ]; then fail "GET / via $ip: $out $(cat "$work/body")"; fi
  out=$(curl -sS --cacert "$ca" --resolve "$domain:443:$ip" -o /dev/null -w '%{http_code}' "https://$domain/nope")
  [ "$out" = 403 ] || fail "GET /nope via $ip: $out"
done
expect_error AcceleratorNotDisabledException aws globalaccelerator delete-accelerator --accelerator-arn "$acc"
expect_error ResourceInUseException aws acm delete-certificate --certificate-arn "$cert"
if [ "${WALKTHROUGH_KEEP:-}" = 1 ]; then
  echo "static IPs: $(tr '\n' ' ' <<<"$static_ips")"
  exit 0
fi

# answers IP...: every IP accepts a TLS connection on 443.
answers() {
  for ip in "$@"; do
    curl -sk --max-time 2 --resolve "$domain:443:$ip" -o /dev/null "https://$domain/" || return 1
  done
}
# silent IP...: no IP accepts one.
silent() {
  for ip in "$@"; do
    if curl -sk --max-time 2 --resolve "$domain:443:$ip" -o /dev/null "https://$domain/"; then return 1; fi
  done
}

step "clean-up 1. the alias record"
change DELETE $domain A "$alias_json"
[ -z "$(dig @127.0.0.1 -p "$dns_port" +short $domain A)" ] || fail "$domain still resolves"

step "clean-up 2. disable the accelerator, then delete it"
aws globalaccelerator update-accelerator --accelerator-arn "$acc" --no-enabled >/dev/null
# shellcheck disable=SC2086
eventually silent $static_ips
aws globalaccelerator delete-endpoint-group --endpoint-group-arn "$group"
aws globalaccelerator delete-listener --listener-arn "$ga_listener"
aws globalaccelerator delete-accelerator --accelerator-arn "$acc"
expect_error AcceleratorNotFoundException aws globalaccelerator describe-accelerator --accelerator-arn "$acc"

step "clean-up 3. the load balancer and its target group"
lb_dns=$(text elbv2 describe-load-balancers --load-balancer-arns "$lb" --query 'LoadBalancers[0].DNSName')
lb_ips=$(dig @127.0.0.1 -p "$dns_port" +short "$lb_dns" A)
[ -n "$lb_ips" ] || fail "$lb_dns does not resolve"
# shellcheck disable=SC2086
answers $lb_ips || fail "the load balancer does not answer before its deletion"
aws elbv2 delete-listener --listener-arn "$listener"
aws elbv2 delete-load-balancer --load-balancer-arn "$lb"
aws elbv2 delete-target-group --target-group-arn "$tg"
# shellcheck disable=SC2086
eventually silent $lb_ips
expect_error TargetGroupNotFound aws elbv2 describe-target-groups --target-group-arns "$tg"

step "clean-up 4. the custom domain name, then the API"
aws apigatewayv2 delete-api-mapping --domain-name $domain --api-mapping-id "$mapping"
aws apigateway delete-domain-name --domain-name $domain
aws apigateway delete-rest-api --rest-api-id "$api"
expect_error NotFoundException aws apigateway get-rest-api --rest-api-id "$api"

step "clean-up 5. the interface endpoint"
# shellcheck disable=SC2086
answers $endpoint_ips || fail "the endpoint does not answer before its deletion"
[ "$(text ec2 delete-vpc-endpoints --vpc-endpoint-ids "$vpce" --query 'length(Unsuccessful)')" = 0 ] || fail "delete-vpc-endpoints"
# shellcheck disable=SC2086
eventually silent $endpoint_ips

step "clean-up 6. the certificate"
aws acm delete-certificate --certificate-arn "$cert"
expect_error ResourceNotFoundException aws acm describe-certificate --certificate-arn "$cert"

step "what is left: security groups, the validation record, the zone"
aws ec2 delete-security-group --group-id "$sg"
aws ec2 delete-security-group --group-id "$alb_sg"
change DELETE "$vname" CNAME "\"TTL\":300,\"ResourceRecords\":[{\"Value\":\"$vvalue\"}]"
aws route53 delete-hosted-zone --id "$zone" >/dev/null
echo "PASS: the walkthrough with the AWS CLI"
