/** How much one coalesced send may carry; a single submission over either still goes, alone. */
export interface CoalescerLimits {
  maxMessages: number;
  maxBytes: number;
}

interface Pending<T> {
  messages: T[];
  bytes: number;
  resolve(): void;
  reject(error: unknown): void;
}

/**
 * Group commit for sends: while one send is in flight, submissions queue up, and the next send
 * carries all of them (within the limits). No timer and no linger: an idle producer sends a
 * submission at once, a busy one sends fewer, larger requests, so the broker's work per message
 * falls as the load rises (each produce request costs the broker about the same whatever it
 * holds). Every submission resolves or rejects with the send that carried it: a failed send fails
 * each of its submissions, which their callers retry as they would a send of their own.
 */
export class SendCoalescer<T> {
  private readonly queue: Pending<T>[] = [];
  private sending = false;

  constructor(
    private readonly send: (messages: T[]) => Promise<void>,
    private readonly sizeOf: (message: T) => number,
    private readonly limits: CoalescerLimits,
  ) {}

  submit(messages: T[]): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const bytes = messages.reduce((sum, m) => sum + this.sizeOf(m), 0);
      this.queue.push({ messages, bytes, resolve, reject });
      this.pump();
    });
  }

  private pump(): void {
    if (this.sending || this.queue.length === 0) return;
    const group = this.takeGroup();
    this.sending = true;
    this.send(group.flatMap((p) => p.messages)).then(
      () => this.settle(group, (p) => p.resolve()),
      (error: unknown) => this.settle(group, (p) => p.reject(error)),
    );
  }

  private settle(group: Pending<T>[], outcome: (p: Pending<T>) => void): void {
    this.sending = false;
    for (const p of group) outcome(p);
    this.pump();
  }

  /** The oldest submissions, in order, that fit the limits together (at least one). */
  private takeGroup(): Pending<T>[] {
    const group = [this.queue.shift()!];
    let messages = group[0]!.messages.length;
    let bytes = group[0]!.bytes;
    while (this.queue.length > 0) {
      const next = this.queue[0]!;
      if (
        messages + next.messages.length > this.limits.maxMessages ||
        bytes + next.bytes > this.limits.maxBytes
      )
        break;
      group.push(this.queue.shift()!);
      messages += next.messages.length;
      bytes += next.bytes;
    }
    return group;
  }
}
