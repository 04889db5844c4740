// Written by `baton import` from OrderApproval.odx: the BizTalk orchestration Contoso.Orchestrations.OrderApproval.
// Shapes it could not map are steps marked TODO(baton import) that fail saying what to port, the XLANG/s above them.
import { Approval, ApprovalRequest, type ApprovalRequestBody, Invoice, type InvoiceBody, Order, type OrderBody, OrderRejected, type OrderRejectedBody } from './messages.ts';
import { correlationKey, promoted, withField, withPromoted } from './support.ts';
import { designer, type InboundMessage } from '../../../functions/index.ts';

const messages = {
  msgOrder: Order,
  msgApproval: Approval,
};

interface Variables {
  msgApprovalRequest?: ApprovalRequestBody; // a message the orchestration constructs
  msgInvoice?: InvoiceBody; // a message the orchestration constructs
  msgOrderRejected?: OrderRejectedBody; // a message the orchestration constructs
  /** Set by Baton when a scope's error handler runs: the error's message. */
  lastError?: string;
}

const { orchestration, receive, receiveCorrelated, code, decide, when, send, listen, onMessage, onTimeout } = designer(messages).withVariables<Variables>();

/** Contoso.Orchestrations.OrderApproval, imported from BizTalk. */
export const orderApproval = orchestration("Contoso.Orchestrations.OrderApproval", 1, [
  receive("Receive_Order", Order, { into: "msgOrder", correlation: "corrOrderId" }),
  decide("Decide_OrderTotal", [
    when("LargeOrder", (ctx) => ctx.message("msgOrder").body.total > 1000, [
      code("Construct_ApprovalRequest", (ctx) => {
        ctx.vars.msgApprovalRequest = withField(ctx.vars.msgApprovalRequest, ["orderId"], ctx.message("msgOrder").body.orderId);
        ctx.vars.msgApprovalRequest = withField(ctx.vars.msgApprovalRequest, ["customerId"], ctx.message("msgOrder").body.customerId);
        ctx.vars.msgApprovalRequest = withField(ctx.vars.msgApprovalRequest, ["total"], ctx.message("msgOrder").body.total);
        ctx.vars.msgApprovalRequest = withPromoted(ctx.vars.msgApprovalRequest, "OrderId", promoted(ctx.message("msgOrder"), "OrderId"));
      }),
      send("Send_ApprovalRequest", "SendApprovalRequestPort", ApprovalRequest, (ctx) => ctx.vars.msgApprovalRequest!),
      listen("Listen_ApprovalOrTimeout", [
        onMessage("ApprovalReceived", receiveCorrelated("Receive_Approval", Approval, { into: "msgApproval", correlation: "corrOrderId" }), [
          decide("Decide_Approved", [
            when("Approved", (ctx) => ctx.message("msgApproval").body.approved === true, [
              code("Construct_Invoice_Approved", (ctx) => {
                // TODO(baton import): the map Contoso.Maps.OrderToInvoice is a stub
                ctx.vars.msgInvoice = mapOrderToInvoice(ctx.message("msgOrder").body);
              }),
              send("Send_Invoice_Approved", "SendInvoicePort", Invoice, (ctx) => ctx.vars.msgInvoice!),
            ]),
          ], [
            code("Construct_OrderRejected_Declined", (ctx) => {
              ctx.vars.msgOrderRejected = withField(ctx.vars.msgOrderRejected, ["orderId"], ctx.message("msgOrder").body.orderId);
              ctx.vars.msgOrderRejected = withField(ctx.vars.msgOrderRejected, ["customerId"], ctx.message("msgOrder").body.customerId);
              ctx.vars.msgOrderRejected = withField(ctx.vars.msgOrderRejected, ["reason"], "Declined by approver");
            }),
            send("Send_OrderRejected_Declined", "SendOrderRejectedPort", OrderRejected, (ctx) => ctx.vars.msgOrderRejected!),
          ]),
        ]),
        onTimeout("ApprovalTimeout", "Wait_2_Days", (ctx) => 172800000, [
          code("Construct_OrderRejected_Timeout", (ctx) => {
            ctx.vars.msgOrderRejected = withField(ctx.vars.msgOrderRejected, ["orderId"], ctx.message("msgOrder").body.orderId);
            ctx.vars.msgOrderRejected = withField(ctx.vars.msgOrderRejected, ["customerId"], ctx.message("msgOrder").body.customerId);
            ctx.vars.msgOrderRejected = withField(ctx.vars.msgOrderRejected, ["reason"], "No approval received within 2 days");
          }),
          send("Send_OrderRejected_Timeout", "SendOrderRejectedPort", OrderRejected, (ctx) => ctx.vars.msgOrderRejected!),
        ]),
      ]),
    ]),
  ], [
    code("Construct_Invoice_SmallOrder", (ctx) => {
      // TODO(baton import): the map Contoso.Maps.OrderToInvoice is a stub
      ctx.vars.msgInvoice = mapOrderToInvoice(ctx.message("msgOrder").body);
    }),
    send("Send_Invoice_SmallOrder", "SendInvoicePort", Invoice, (ctx) => ctx.vars.msgInvoice!),
  ]),
], { correlationSets: correlationSets() });

/** The correlation sets: by set, how each message type that takes part in it gives its key. */
function correlationSets() {
  return {
    // corrOrderId: Contoso.Orchestrations.OrderIdCorrelationType (Contoso.Schemas.PropertySchema.OrderId). TODO(baton import): check each key reads the field the property schema promotes.
    "corrOrderId": {
      "Contoso.Schemas.Order": (m: InboundMessage) => correlationKey(m, ["OrderId"]),
      "Contoso.Schemas.Approval": (m: InboundMessage) => correlationKey(m, ["OrderId"]),
    },
  };
}

/** What to deploy of this module. */
export const orchestrations = [orderApproval];

/**
 * TODO(baton import): port the map Contoso.Maps.OrderToInvoice (test/import/fixtures/maps/OrderToInvoice.btm) to TypeScript: from msgOrder to msgInvoice.
 * The XLANG/s: transform (msgInvoice) = Contoso.Maps.OrderToInvoice (msgOrder);
 */
function mapOrderToInvoice(msgOrder: OrderBody): InvoiceBody {
  // Filled by hand: what the map OrderToInvoice.btm does (its links, and its String Concatenate functoid).
  return {
    orderId: msgOrder.orderId,
    customerId: msgOrder.customerId,
    total: msgOrder.total,
    invoiceNumber: `INV-${msgOrder.orderId}`,
  };
}
