// A JSON-RPC client as SPARK's Filecoin one: fetch(new Request(url, {method, body}), {signal}).
let id = 0;
export async function rpc(url, method, params) {
  const body = JSON.stringify({ jsonrpc: '2.0', id: ++id, method, params });
  const res = await fetch(new Request(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body }), {
    signal: AbortSignal.timeout(10_000),
  });
  if (!res.ok) throw new Error(`rpc ${method}: ${res.status}`);
  const { result, error } = await res.json();
  if (error) throw new Error(`rpc ${method}: ${error.message}`);
  return result;
}
