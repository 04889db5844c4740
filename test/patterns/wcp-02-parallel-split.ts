/**
 * WCP-2 Parallel Split
 *
 * Definition: The divergence of a branch into two or more parallel branches each of which execute concurrently.
 * Rating: supported
 * Reason: Parallel Actions (`parallel`, `branch`): each branch runs as a branch instance of its own, with its own
 * work item, lease and persistence points, so two hosts run two branches at the same moment and one branch waiting
 * does not hold up the other.
 * BPEL: +
 */
import { branch, delay, orchestration, parallel, receive, send } from '../../functions/builders.ts';

/** A trip: the flight and the hotel are booked at the same time; the hotel's supplier answers later. */
export const parallelSplit = orchestration('Wcp02ParallelSplit', 1, [
  receive('receiveTrip', 'Trip', { into: 'trip' }),
  parallel('bookTrip', [
    branch('flight', [send('bookFlight', 'send', 'FlightBooked', (ctx) => ctx.message('trip').body)]),
    branch('hotel', [
      delay('supplierAnswers', { minutes: 10 }),
      send('bookHotel', 'send', 'HotelBooked', (ctx) => ctx.message('trip').body),
    ]),
  ]),
]);
