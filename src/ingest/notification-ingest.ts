import type { AppendResult, HistoryStore } from '../history/history-store.js';
import type { NotificationInput } from '../notifications/notification.js';
import type { FieldProblem, NotificationCodec } from '../notifications/notification.codec.js';

export type DecodedBatch =
  | { readonly ok: true; readonly inputs: NotificationInput[] }
  | { readonly ok: false; readonly problems: FieldProblem[] };

/**
 * The entry every source (HTTP publish, Kafka) goes through: one codec, then the store, which
 * numbers, deduplicates, retains and publishes. Sources differ only in how they report errors.
 */
export class NotificationIngest {
  constructor(
    private readonly codec: NotificationCodec,
    private readonly store: HistoryStore,
  ) {}

  /** All or nothing: a batch with one bad item is rejected whole, with every problem listed. */
  decode(raw: unknown[]): DecodedBatch {
    const inputs: NotificationInput[] = [];
    const problems: FieldProblem[] = [];
    for (const result of this.codec.decodeBatch(raw)) {
      if (result.ok) inputs.push(result.value);
      else problems.push(...result.problems);
    }
    return problems.length ? { ok: false, problems } : { ok: true, inputs };
  }

  accept(inputs: readonly NotificationInput[]): Promise<AppendResult[]> {
    return this.store.append(inputs);
  }
}
