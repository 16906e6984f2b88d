// Works for a few seconds, then crashes: zinniad reports it (activity:error), writes the
// stack to flaky's stderr.txt, and restarts it with back-off. The inspector notices too.
let n = 0;
const timer = setInterval(() => {
  n++;
  console.log(`flaky tick ${n}`);
  Zinnia.jobCompleted();
  if (n === 6) {
    clearInterval(timer);
    throw new Error(`flaky gave up after ${n} ticks`);
  }
}, 500);
