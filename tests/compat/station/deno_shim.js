// For Deno: the Zinnia global a Station module expects, then the module itself.
let jobs = 0;
globalThis.Zinnia = {
  walletAddress: 'f1deno', stationId: '0'.repeat(88),
  activity: { info: (m) => console.log(`activity:info ${m}`), error: (m) => console.log(`activity:error ${m}`) },
  jobCompleted: () => { jobs++; },
  versions: { zinnia: 'deno', v8: 'deno' },
};
await import('./main.js');
console.log(`JOBS ${jobs}`);
