#!/usr/bin/env bash
# Deploys the real synthesized Baton stack to a LocalStack-compatible endpoint (LocalStack, MiniStack) with
# the plain CDK CLI: the SDK inside it honours AWS_ENDPOINT_URL. Outputs go to .baton/deployed.json.
set -euo pipefail
cd "$(dirname "$0")/.."
export AWS_ENDPOINT_URL="${AWS_ENDPOINT_URL:-http://127.0.0.1:4566}"
export AWS_ACCESS_KEY_ID="${AWS_ACCESS_KEY_ID:-test}" AWS_SECRET_ACCESS_KEY="${AWS_SECRET_ACCESS_KEY:-test}"
export AWS_REGION="${AWS_REGION:-us-east-1}" AWS_DEFAULT_REGION="${AWS_REGION:-us-east-1}"
account="${CDK_LOCAL_ACCOUNT:-000000000000}"
mkdir -p .baton
echo "deploy:local → $AWS_ENDPOINT_URL (account $account, $AWS_REGION)"
npx cdk bootstrap "aws://$account/$AWS_REGION"
# bundleAwsSdk: emulators' local Lambda executors have no SDK in their Node runtime (AWS's nodejs24.x does).
npx cdk deploy --require-approval never -c retainData=false -c bundleAwsSdk=true --outputs-file .baton/deployed.json "$@"
# Where it went, so `npm run test:deployed` finds the emulator again with no variable to set.
printf '{ "endpoint": "%s", "region": "%s" }\n' "$AWS_ENDPOINT_URL" "$AWS_REGION" > .baton/deployed-target.json
