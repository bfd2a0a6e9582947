/** Entry point of the `slipway` executable (bin/slipway imports the compiled form). */
import { main } from './main.js';

await main(process.argv);
