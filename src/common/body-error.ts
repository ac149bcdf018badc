/** How a refused request body is answered. */
interface BodyRefusal {
  readonly status: number;
  readonly error: string;
  readonly message: string;
}

/**
 * Every refusal of a request body, by the `type` body-parser gives its errors (Nest's routes) and
 * the publish route's own body reader throws alike (`BodyError`), so both answer the same.
 */
const BODY_REFUSALS = {
  'entity.parse.failed': {
    status: 400,
    error: 'bad_request',
    message: 'the body is not valid JSON',
  },
  'request.aborted': {
    status: 400,
    error: 'bad_request',
    message: 'the body was cut short',
  },
  'entity.too.large': {
    status: 413,
    error: 'payload_too_large',
    message: 'the body is larger than allowed',
  },
  // body-parser skips a body of another type; the publish route refuses it.
  'entity.type.unsupported': {
    status: 415,
    error: 'unsupported_media_type',
    message: 'send the body as application/json',
  },
  'charset.unsupported': {
    status: 415,
    error: 'unsupported_charset',
    message: 'send the body in UTF-8',
  },
  'encoding.unsupported': {
    status: 415,
    error: 'unsupported_encoding',
    message: 'unsupported content encoding',
  },
} satisfies Record<string, BodyRefusal>;

export type BodyErrorType = keyof typeof BODY_REFUSALS;

export class BodyError extends Error {
  constructor(readonly type: BodyErrorType) {
    super(BODY_REFUSALS[type].message);
  }
}

/** The refusal for an error carrying one of the body `type`s above (body-parser's or ours). */
export function bodyRefusal(err: unknown): BodyRefusal | undefined {
  const type = (err as { type?: unknown } | null)?.type;
  return typeof type === 'string' && Object.hasOwn(BODY_REFUSALS, type)
    ? BODY_REFUSALS[type as BodyErrorType]
    : undefined;
}
