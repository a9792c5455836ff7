import protobuf from 'protobufjs';

/**
 * Codec for the long-connection `pbbp2.Frame` (doc lark/README.md §2.5). The schema is the proto text from the
 * doc, parsed at load time into a private Root so it cannot collide with the SDK's own generated
 * `pbbp2` types (which live in protobufjs' default root).
 */
const PROTO = `
syntax = "proto2";
package pbbp2;

message Header {
  required string key   = 1;
  required string value = 2;
}

message Frame {
  required uint64 SeqID            = 1;
  required uint64 LogID            = 2;
  required int32  service          = 3;
  required int32  method           = 4;
  repeated Header headers          = 5;
  optional string payload_encoding = 6;
  optional string payload_type     = 7;
  optional bytes  payload          = 8;
  optional string LogIDNew         = 9;
}
`;

// The SDK sets the shared `protobufjs.util.Long` to undefined when it loads (lib/index.js:101265).
// A type parsed while Long was still defined then crashes on first decode, so whichever module
// loads first, settle the same global state before parsing.
protobuf.util.Long = undefined as unknown as typeof protobuf.util.Long;
protobuf.configure();

const FrameType = protobuf.parse(PROTO, new protobuf.Root()).root.lookupType('pbbp2.Frame');

/** lark/README.md §2.5 `method`. */
export const FrameMethod = { control: 0, data: 1 } as const;

export interface FrameHeader {
  key: string;
  value: string;
}

export interface Frame {
  SeqID: number;
  LogID: number;
  service: number;
  method: number;
  headers: FrameHeader[];
  payloadEncoding?: string;
  payloadType?: string;
  payload?: Uint8Array;
  LogIDNew?: string;
}

export function encodeFrame(frame: Frame): Uint8Array {
  // Fields 1-4 are proto2 `required`: the SDK's decoder throws if any is missing, and protobufjs
  // writes required scalars unconditionally, so passing them (even as 0) is enough.
  return FrameType.encode(FrameType.fromObject(frame)).finish();
}

/** Throws on malformed input (including missing required fields), like the SDK's decoder. */
export function decodeFrame(bytes: Uint8Array): Frame {
  const message = FrameType.decode(bytes);
  return FrameType.toObject(message, { longs: Number, arrays: true }) as Frame;
}

export function headerMap(frame: Frame): Record<string, string> {
  const out: Record<string, string> = {};
  for (const { key, value } of frame.headers) out[key] = value;
  return out;
}

/**
 * Split a payload into `parts` contiguous byte slices (lark/README.md §2.7). Slicing bytes rather than characters
 * is deliberate: the SDK concatenates raw bytes before UTF-8 decoding, so a multi-byte character
 * may straddle two fragments exactly as it can on the real platform.
 */
export function splitPayload(payload: Uint8Array, parts: number): Uint8Array[] {
  const count = Math.max(1, Math.min(Math.floor(parts), payload.byteLength));
  const size = Math.ceil(payload.byteLength / count);
  const out: Uint8Array[] = [];
  for (let i = 0; i < count; i++) out.push(payload.subarray(i * size, Math.min((i + 1) * size, payload.byteLength)));
  return out.filter((part, i) => i === 0 || part.byteLength > 0);
}

const utf8 = new TextEncoder();
const utf8Decoder = new TextDecoder('utf-8');

export const encodeJson = (value: unknown): Uint8Array => utf8.encode(JSON.stringify(value));
export const decodeUtf8 = (bytes: Uint8Array): string => utf8Decoder.decode(bytes);
