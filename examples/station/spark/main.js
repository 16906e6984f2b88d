// A SPARK-shaped checker without the network: one "retrieval check" per round.
const ROUND_MS = 2000;
let round = 0;

async function checkRetrieval(task) {
  // Stands in for fetch(): a few milliseconds of "network".
  await new Promise((resolve) => setTimeout(resolve, 5 + Math.random() * 20));
  return { task, ok: Math.random() > 0.1, ttfb: Math.round(Math.random() * 300) };
}

async function runRound() {
  round++;
  console.log(`Checking the current SPARK round... (round ${round})`);
  const result = await checkRetrieval({ cid: `bafy${round.toString(16).padStart(8, "0")}` });
  if (result.ok) {
    console.log("Retrieval OK %o", result);
    Zinnia.jobCompleted();
  } else {
    console.warn("Retrieval failed for %s", result.task.cid);
  }
  if (round % 10 === 0) Zinnia.activity.info(`SPARK completed ${round} rounds`);
}

Zinnia.activity.info("SPARK example started");
setInterval(runRound, ROUND_MS);
