// Prints the effective app manifest, as the daemon exposes it in the monitor tree.
import { readTextFile, readDir } from "zinnia:fs";

const [app] = await readDir("/config");
const manifest = JSON.parse(await readTextFile(`/config/${app.name}/manifest.json`));
console.log("App %s has %d components:", app.name, Object.keys(manifest.component ?? {}).length);
console.log(JSON.stringify(manifest, null, 2));
