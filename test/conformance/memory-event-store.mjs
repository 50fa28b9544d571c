// Keeps a session's SSE events in memory so a client that reconnects with Last-Event-ID
// gets what it missed (resumability, SEP-1699). Bounded: a test session never needs more.

const MAX_EVENTS = 1000;

/** @implements {import('@modelcontextprotocol/server').EventStore} */
export class MemoryEventStore {
  #events = new Map(); // eventId -> { streamId, message }, in insertion order
  #next = 0;

  async storeEvent(streamId, message) {
    const eventId = `${streamId}:${++this.#next}`;
    this.#events.set(eventId, { streamId, message });
    if (this.#events.size > MAX_EVENTS) this.#events.delete(this.#events.keys().next().value);
    return eventId;
  }

  async getStreamIdForEventId(eventId) {
    return this.#events.get(eventId)?.streamId;
  }

  async replayEventsAfter(lastEventId, { send }) {
    const last = this.#events.get(lastEventId);
    if (!last) throw new Error(`unknown event id ${lastEventId}`);
    let after = false;
    for (const [eventId, event] of this.#events) {
      if (after && event.streamId === last.streamId) await send(eventId, event.message);
      if (eventId === lastEventId) after = true;
    }
    return last.streamId;
  }
}
