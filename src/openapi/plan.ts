/**
 * How one operation's tool arguments become an HTTP request. Built once at import (from the
 * dereferenced OpenAPI 3.1 operation), stored beside the tool, read on every call: the call
 * path never looks at the spec again, and never derives anything from the tool's name.
 */

export type ParamLocation = 'path' | 'query' | 'header' | 'cookie';

export type ParamStyle = 'simple' | 'label' | 'matrix' | 'form' | 'spaceDelimited' | 'pipeDelimited' | 'deepObject';

export type HttpMethod = 'GET' | 'PUT' | 'POST' | 'DELETE' | 'OPTIONS' | 'HEAD' | 'PATCH' | 'TRACE';

/** Shape hint for serialization (style/explode treat primitives, arrays and objects differently). */
export type ValueShape = 'primitive' | 'array' | 'object' | 'any';

export interface ParameterPlan {
  /** The name on the wire: path template variable, query key, header or cookie name. */
  name: string;
  in: ParamLocation;
  style: ParamStyle;
  explode: boolean;
  /** Query only: RFC 3986 reserved characters are sent as they are. */
  allowReserved: boolean;
  required: boolean;
  shape: ValueShape;
  /** Parameters described with `content` instead of `schema`: serialized as this media type (JSON). */
  contentType?: string;
}

export interface EncodingPlan {
  contentType?: string;
  style?: ParamStyle;
  explode?: boolean;
  allowReserved?: boolean;
}

export interface BodyPlan {
  /** The request media type chosen for this tool (one per operation). */
  mediaType: string;
  required: boolean;
  /** Form and multipart: per-property encoding from the spec (`encoding`). */
  encoding: Readonly<Record<string, EncodingPlan>>;
  /**
   * Properties that carry bytes (`format: binary`, `contentMediaType`, `contentEncoding`), which
   * the agent sends as base64 strings. `''` means the whole body (application/octet-stream).
   */
  binary: readonly string[];
  /** Shape of each top-level body property (form serialization needs it). */
  shapes: Readonly<Record<string, ValueShape>>;
}

/** Where one tool argument goes. */
export type ArgBinding =
  /** A parameter: index into `OperationPlan.parameters`. */
  | { arg: string; to: 'parameter'; index: number }
  /** A property of an object body, flattened into the tool's arguments. */
  | { arg: string; to: 'body-property'; property: string }
  /** The whole body (arrays, scalars, root oneOf/anyOf), under one argument. */
  | { arg: string; to: 'body' };

export interface OperationPlan {
  method: HttpMethod;
  /** Path template relative to the import's base URL, e.g. `/pets/{petId}`. */
  pathTemplate: string;
  parameters: readonly ParameterPlan[];
  body: BodyPlan | null;
  /** One entry per property of the tool's input schema. */
  args: readonly ArgBinding[];
}

/**
 * The request the builder produced from the arguments, before credentials are added.
 * Everything is already encoded: the credential injector appends to `query`, `headers` and
 * `cookies`, and the executor joins them.
 */
export interface BuiltRequest {
  method: HttpMethod;
  /** Encoded path (the import's base path included), no query string. */
  path: string;
  /** Encoded `name=value` pairs (or bare names), in order. */
  query: string[];
  /** Lower-case names. */
  headers: Record<string, string>;
  /** Encoded `name=value` pairs for one Cookie header. */
  cookies: string[];
  body: { contentType: string | null; data: string | Uint8Array | FormData } | null;
}
