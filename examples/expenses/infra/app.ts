import { App, Stack, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { Baton } from 'baton/cdk';

const app = new App();
// AWS Solutions checks on every synth: an unacknowledged finding fails it.
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));

const stack = new Stack(app, 'Expenses');
const baton = new Baton(stack, 'Baton', {
  orchestrations: 'src/orchestrations.ts',
  environment: { EXPENSES_REVIEW_FROM: '500' },
});
// ReceiveQueueUrl, SendQueueUrl and the rest: what clients and `npx baton console --stack Expenses` read.
baton.addOutputs();
app.synth();
