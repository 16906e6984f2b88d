// Works for a while, then crashes: zinniad reports it (activity:error), writes the stack to
// flaky's stderr.txt, and restarts it with back-off. The inspector notices it too.
let n = 0;
const timer = setInterval(() => {
  n++;
  console.log(`flaky tick ${n}`);
  Zinnia.jobCompleted();
  if (n === 15) {
    clearInterval(timer);
    throw new Error("flaky gave up after 15 ticks");
  }
}, 1000);
