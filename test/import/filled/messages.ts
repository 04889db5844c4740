// Written by `baton import`: the message types of the imported orchestrations. Each body type lists the fields
// the orchestrations' code reads and writes (distinguished fields, typed from how the code uses them); the XSD is
// not read. Each schema is a stub that takes any JSON object: replace it with the schema of the message (valibot,
// zod or any Standard Schema library), so a malformed message is suspended with its reason before it reaches an
// orchestration.
import { messageType, type Schema } from '../../../functions/index.ts';

/** A schema stub: any JSON object passes (TODO(baton import): the real schema). */
function stub<Body>(name: string): Schema<Body> {
  return {
    '~standard': {
      version: 1,
      vendor: 'baton-import',
      validate: (value: unknown) =>
        typeof value === 'object' && value !== null && !Array.isArray(value)
          ? { value: value as Body }
          : { issues: [{ message: `a ${name} body is a JSON object` }] },
    },
  };
}

/** Contoso.Schemas.Order (schema). */
export interface OrderBody {
  total: number;
  orderId: string;
  customerId: string;
}
export const Order = messageType("Contoso.Schemas.Order", stub<OrderBody>("Contoso.Schemas.Order"));

/** Contoso.Schemas.ApprovalRequest (schema). */
export interface ApprovalRequestBody {
  orderId: string;
  customerId: string;
  total: number;
}
export const ApprovalRequest = messageType("Contoso.Schemas.ApprovalRequest", stub<ApprovalRequestBody>("Contoso.Schemas.ApprovalRequest"));

/** Contoso.Schemas.Approval (schema). */
export interface ApprovalBody {
  approved: boolean;
}
export const Approval = messageType("Contoso.Schemas.Approval", stub<ApprovalBody>("Contoso.Schemas.Approval"));

/** Contoso.Schemas.Invoice (schema). */
export interface InvoiceBody {
  readonly [field: string]: unknown;
}
export const Invoice = messageType("Contoso.Schemas.Invoice", stub<InvoiceBody>("Contoso.Schemas.Invoice"));

/** Contoso.Schemas.OrderRejected (schema). */
export interface OrderRejectedBody {
  orderId: string;
  customerId: string;
  reason: string;
}
export const OrderRejected = messageType("Contoso.Schemas.OrderRejected", stub<OrderRejectedBody>("Contoso.Schemas.OrderRejected"));
