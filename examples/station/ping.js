// A heartbeat: one line and one job every 5 seconds.
let beats = 0;
setInterval(() => {
  beats++;
  console.info(`ping: heartbeat ${beats}`);
  Zinnia.jobCompleted();
  if (beats % 12 === 0) Zinnia.activity.info(`ping: ${beats} heartbeats so far`);
}, 5000);
