/**
 * A DynamoDB item as the document client reads and writes it. Its attributes are whatever was marshalled, so the
 * adapters read them as they wrote them; the store's own types (`InstanceState`, …) are what leaves an adapter.
 */
// biome-ignore lint/suspicious/noExplicitAny: the document client's own attribute type (NativeAttributeValue) is as wide
export type Item = Record<string, any>;
