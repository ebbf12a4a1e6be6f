// The part of math.js the "your turn" forms use: parse a formula, show it as TeX, and
// evaluate it with plain numbers. Vectors and matrices (a[i], W[i, j], indexed from 1
// like the book) are looked up by yourturn.js, which rewrites each entry as a call.
import {
  absDependencies,
  addDependencies,
  compileDependencies,
  divideDependencies,
  eDependencies,
  expDependencies,
  logDependencies,
  maxDependencies,
  minDependencies,
  multiplyDependencies,
  parseDependencies,
  piDependencies,
  powDependencies,
  sqrtDependencies,
  subtractDependencies,
  unaryMinusDependencies,
  unaryPlusDependencies,
  create,
} from "mathjs/number";

const math = create(
  {
    absDependencies,
    addDependencies,
    compileDependencies,
    divideDependencies,
    eDependencies,
    expDependencies,
    logDependencies,
    maxDependencies,
    minDependencies,
    multiplyDependencies,
    parseDependencies,
    piDependencies,
    powDependencies,
    sqrtDependencies,
    subtractDependencies,
    unaryMinusDependencies,
    unaryPlusDependencies,
  },
  { predictable: true },
);

window.xentMath = math;
