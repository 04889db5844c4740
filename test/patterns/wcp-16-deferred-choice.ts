/**
 * WCP-16 Deferred Choice
 *
 * Definition: A point in a process where one of several branches is chosen based on interaction with the operating
 * environment. Prior to the decision, all branches represent possible future courses of execution. The decision is
 * made by initiating the first task in one of the branches, i.e. there is no explicit choice but rather a race
 * between different branches. After the decision is made, execution alternatives in branches other than the one
 * selected are withdrawn.
 * Rating: supported
 * Reason: Listen (`listen`, `onMessage`, `onTimeout`): the instance waits, dehydrated, for whichever correlated
 * message (or the timeout) comes first; that branch runs and the others are withdrawn.
 * BPEL: +
 */
import {
  listen,
  onMessage,
  onTimeout,
  orchestration,
  receive,
  receiveCorrelated,
  send,
} from '../../functions/builders.ts';

const keyOf = (m: { body: unknown }) => (m.body as { key: string }).key;

/** A quote: the customer accepts it, declines it, or lets it expire; whichever happens first decides. */
export const deferredChoice = orchestration(
  'Wcp16DeferredChoice',
  1,
  [
    receive('receiveQuoteRequest', 'QuoteRequest', { into: 'request', correlation: 'quote' }),
    send('quote', 'send', 'Quote', (ctx) => ({ key: keyOf(ctx.message('request')) })),
    listen('customerDecides', [
      onMessage(
        'accepted',
        receiveCorrelated('receiveAccept', 'QuoteAccepted', { into: 'acceptance', correlation: 'quote' }),
        [send('placeOrder', 'send', 'OrderPlaced', (ctx) => ({ key: keyOf(ctx.message('request')) }))],
      ),
      onMessage(
        'declined',
        receiveCorrelated('receiveDecline', 'QuoteDeclined', { into: 'refusal', correlation: 'quote' }),
        [send('closeQuote', 'send', 'QuoteClosed', (ctx) => ({ key: keyOf(ctx.message('request')) }))],
      ),
      onTimeout('expired', 'quoteValidity', { hours: 7 * 24 }, [
        send('expireQuote', 'send', 'QuoteExpired', (ctx) => ({ key: keyOf(ctx.message('request')) })),
      ]),
    ]),
  ],
  { correlationSets: { quote: { QuoteRequest: keyOf, QuoteAccepted: keyOf, QuoteDeclined: keyOf } } },
);
