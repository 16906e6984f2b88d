// Follows every other component's stderr.txt through zinnia:fs (the live monitor tree) and
// raises Zinnia.activity.error when it sees a crash.
import { follow, readDir } from "zinnia:fs";

const CRASH = /Uncaught|out of memory|hung|RangeError: Maximum call stack/;
const watching = new Set();

async function watch(component) {
  watching.add(component);
  let pending = "";
  for await (const text of follow(`/monitor/logs/${component}/stderr.txt`)) {
    pending += text;
    const lines = pending.split("\n");
    pending = lines.pop();
    for (const line of lines) {
      if (CRASH.test(line)) Zinnia.activity.error(`inspector: ${component} crashed: ${line}`);
    }
  }
}

async function discover() {
  for (const entry of await readDir("/monitor/logs")) {
    if (entry.isDirectory && entry.name !== "inspector" && !watching.has(entry.name)) {
      console.log(`inspector: watching ${entry.name}`);
      watch(entry.name).catch((e) => console.error(`inspector: ${entry.name}: ${e}`));
    }
  }
}

await discover();
setInterval(discover, 5000); // components added by a reload
