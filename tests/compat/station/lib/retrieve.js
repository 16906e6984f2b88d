// A retrieval as SPARK does it: the body streamed into a resizable buffer, then SHA-256.
export async function retrieve(url, maxByteLength) {
  const res = await fetch(url);
  if (!res.ok) return { status: res.status };
  const buf = new ArrayBuffer(0, { maxByteLength });
  const view = new Uint8Array(buf);
  for await (const chunk of res.body) {
    const at = buf.byteLength;
    buf.resize(at + chunk.byteLength);
    view.set(chunk, at);
  }
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', view));
  return { status: res.status, byteLength: buf.byteLength, digest };
}

// SPARK's classification of fetch failures (lib/spark.js), by the text of the TypeError. The
// real Zinnia (and zinnia) put the detail in the message; Deno 2 puts it in `cause`.
export function mapErrorToStatusCode(err) {
  const text = `${err.message} ${err.cause?.message ?? ''}`;
  if (text.includes('dns error')) return 801;
  if (text.includes('tcp connect error')) return 802;
  return 600;
}
