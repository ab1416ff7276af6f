// L2-regularised logistic regression over sparse rows, solved with L-BFGS.
// Objective as liblinear states it (the gpt-2-output-dataset baseline used
// liblinear): ½‖w‖² + C Σᵢ log(1 + exp(−yᵢ(w·xᵢ + b))), yᵢ ∈ {−1, +1}; the
// intercept is left unpenalised.

/** Compressed sparse rows. */
export interface SparseRows {
  rowPtr: Int32Array;
  cols: Int32Array;
  vals: Float64Array;
  nCols: number;
}

export interface LogisticModel {
  weights: Float64Array;
  bias: number;
  C: number;
  iterations: number;
}

export interface LogisticOptions {
  C: number;
  maxIter?: number;
  /** Stop when the gradient's max-norm falls below this (relative to its value at w = 0, b = 0). */
  tol?: number;
  /**
   * Start from this solution instead of zero (a warm start: along a path of
   * increasing C the previous optimum is close to the next one). The stopping
   * rule stays relative to the gradient at zero, so a warm start stops at the
   * same accuracy as a cold one, only sooner.
   */
  init?: { weights: Float64Array; bias: number };
}

/** out[i] = b + xᵢ·w: one pass over the nonzeros (locals hoisted: the hot loop of every fit). */
function margins(X: SparseRows, w: Float64Array, b: number, out: Float64Array): void {
  const { rowPtr, cols, vals } = X;
  const n = rowPtr.length - 1;
  let p = rowPtr[0];
  for (let i = 0; i < n; i++) {
    const end = rowPtr[i + 1];
    let z = b;
    for (; p < end; p++) z += w[cols[p]] * vals[p];
    out[i] = z;
  }
}

/** Compressed sparse columns: the rows' transpose, so that Xᵀv is a gather into each column, not a scatter. */
interface SparseCols {
  colPtr: Int32Array;
  rows: Int32Array;
  vals: Float64Array;
}

/** Each matrix's transpose, built on its first fit: a fold's matrix is fitted once per C on the path. */
const transposes = new WeakMap<SparseRows, SparseCols>();

function transposeOf(X: SparseRows): SparseCols {
  let T = transposes.get(X);
  if (!T) transposes.set(X, (T = transpose(X)));
  return T;
}

function transpose(X: SparseRows): SparseCols {
  const { rowPtr, cols, vals } = X;
  const n = rowPtr.length - 1;
  const colPtr = new Int32Array(X.nCols + 1);
  for (let p = 0; p < cols.length; p++) colPtr[cols[p] + 1]++;
  for (let j = 0; j < X.nCols; j++) colPtr[j + 1] += colPtr[j];
  const next = colPtr.slice(0, X.nCols);
  const rows = new Int32Array(cols.length);
  const tvals = new Float64Array(cols.length);
  for (let i = 0; i < n; i++) {
    for (let p = rowPtr[i]; p < rowPtr[i + 1]; p++) {
      const q = next[cols[p]]++;
      rows[q] = i;
      tvals[q] = vals[p];
    }
  }
  return { colPtr, rows, vals: tvals };
}

/** out[j] = w[j] + Σᵢ coefᵢ xᵢⱼ for each column j. */
function wPlusXtCoef(T: SparseCols, w: Float64Array, coef: Float64Array, out: Float64Array): void {
  const { colPtr, rows, vals } = T;
  const d = colPtr.length - 1;
  let p = 0;
  for (let j = 0; j < d; j++) {
    const end = colPtr[j + 1];
    let g = w[j];
    for (; p < end; p++) g += coef[rows[p]] * vals[p];
    out[j] = g;
  }
}

/** log(1 + exp(−m)) without overflow. */
function softplusNeg(m: number): number {
  return m > 0 ? Math.log1p(Math.exp(-m)) : -m + Math.log1p(Math.exp(m));
}

/**
 * L-BFGS on ½‖w‖² + C Σ log(1 + exp(−yᵢ zᵢ)), zᵢ = w·xᵢ + b.
 * The margins are linear along a search direction, z(θ + t·p) = z + t·(X·p),
 * and so is ‖w + t·p_w‖², so each iteration makes one pass over the data for
 * X·p and one for the gradient at the accepted point; trying a step length
 * costs O(n), not a pass. The stopping rule (max-norm of the gradient relative
 * to its value at zero, 1e-6 by default) is unchanged.
 */
export function fitLogistic(X: SparseRows, y: ArrayLike<number>, opts: LogisticOptions): LogisticModel {
  const n = X.rowPtr.length - 1;
  const d = X.nCols;
  const C = opts.C;
  const maxIter = opts.maxIter ?? 300;
  const tol = opts.tol ?? 1e-6;
  const sign = Float64Array.from({ length: n }, (_, i) => (y[i] > 0.5 ? 1 : -1));
  const size = d + 1;
  // θ = [w (d), b]
  const theta = new Float64Array(size);
  const grad = new Float64Array(size);
  const z = new Float64Array(n);
  const coef = new Float64Array(n);
  const XT = transposeOf(X);

  /** Loss part of the objective at margins `zs`; fills coef with its derivative by z. */
  const loss = (zs: Float64Array): number => {
    let f = 0;
    for (let i = 0; i < n; i++) {
      const m = sign[i] * zs[i];
      f += softplusNeg(m);
      // d/dz log(1+exp(−y z)) = −y σ(−y z)
      coef[i] = (-C * sign[i]) / (1 + Math.exp(m));
    }
    return C * f;
  };
  /** grad = w + Xᵀcoef (and the intercept's Σ coef), from coef as `loss` left it. */
  const gradient = (): void => {
    wPlusXtCoef(XT, theta, coef, grad);
    let gb = 0;
    for (let i = 0; i < n; i++) gb += coef[i];
    grad[d] = gb;
  };

  // The gradient at zero (margins 0) sets the scale of the stopping rule.
  let f = loss(z);
  gradient();
  const g0 = maxAbs(grad) || 1;
  let ww = 0;
  if (opts.init) {
    if (opts.init.weights.length !== d) throw new Error(`fitLogistic: warm start has ${opts.init.weights.length} weights, the data ${d} columns`);
    theta.set(opts.init.weights);
    theta[d] = opts.init.bias;
    ww = dotN(theta, theta, d);
    margins(X, theta, theta[d], z);
    f = 0.5 * ww + loss(z);
    gradient();
  }
  const history = 10;
  // The last `history` steps and gradient changes, in a ring: slot (head + k) % history is the k-th oldest.
  const S = Array.from({ length: history }, () => new Float64Array(size));
  const Y = Array.from({ length: history }, () => new Float64Array(size));
  const rho = new Float64Array(history);
  const alpha = new Float64Array(history);
  let head = 0;
  /** s·y and y·y of the newest pair: the initial Hessian's scale. */
  let lastSy = 1;
  let lastYy = 1;
  let stored = 0;
  const slot = (k: number) => (head + k) % history;
  const dir = new Float64Array(size);
  const prevGrad = new Float64Array(size);
  let sNew = new Float64Array(size);
  let yNew = new Float64Array(size);
  const Xd = new Float64Array(n);
  const zTry = new Float64Array(n);
  let iter = 0;
  for (; iter < maxIter && maxAbs(grad) > tol * g0; iter++) {
    // Two-loop recursion, dir = −H·grad, each dot product fused into the pass before it
    // (same sums in the same order as separate passes, one pass over the vectors fewer).
    dir.set(grad);
    let acc = stored ? dot(S[slot(stored - 1)], dir) : 0;
    for (let k = stored - 1; k >= 0; k--) {
      const q = slot(k);
      alpha[q] = rho[q] * acc;
      acc = axpyThenDot(-alpha[q], Y[q], dir, k > 0 ? S[slot(k - 1)] : null);
    }
    const gamma = stored ? lastSy / lastYy : 1 / Math.max(1, Math.sqrt(dot(grad, grad)));
    acc = scaleThenDot(gamma, dir, stored ? Y[slot(0)] : null);
    for (let k = 0; k < stored; k++) {
      const q = slot(k);
      const beta = rho[q] * acc;
      acc = axpyThenDot(alpha[q] - beta, S[q], dir, k + 1 < stored ? Y[slot(k + 1)] : null);
    }
    let slope = 0;
    for (let j = 0; j < size; j++) {
      dir[j] = -dir[j];
      slope += grad[j] * dir[j];
    }
    if (slope >= 0) {
      // Not a descent direction (numerical trouble): restart from steepest descent.
      stored = 0;
      const gn = Math.max(1, Math.sqrt(dot(grad, grad)));
      for (let j = 0; j < size; j++) dir[j] = -grad[j] / gn;
      slope = dot(grad, dir);
    }
    // Backtracking line search (Armijo) along the line, O(n) per step length tried.
    margins(X, dir, dir[d], Xd);
    const wd = dotN(theta, dir, d);
    const dd = dotN(dir, dir, d);
    let step = 1;
    let fNext = Infinity;
    for (let tries = 0; tries < 40; tries++) {
      for (let i = 0; i < n; i++) zTry[i] = z[i] + step * Xd[i];
      fNext = 0.5 * (ww + step * (2 * wd + step * dd)) + loss(zTry);
      if (fNext <= f + 1e-4 * step * slope) break;
      step *= 0.5;
    }
    if (!(fNext < f)) break;
    // Accept: coef is the derivative at zTry (the last loss evaluated).
    const s = sNew;
    const yv = yNew;
    prevGrad.set(grad);
    for (let j = 0; j < size; j++) {
      s[j] = step * dir[j];
      theta[j] += s[j];
    }
    z.set(zTry);
    ww = dotN(theta, theta, d);
    gradient();
    for (let j = 0; j < size; j++) yv[j] = grad[j] - prevGrad[j];
    const sy = dot(s, yv);
    if (sy > 1e-12) {
      lastSy = sy;
      lastYy = dot(yv, yv);
      // The new pair takes the next free slot, or the oldest one's (the ring then moves on by one);
      // the slot's old arrays become the scratch space of the next step.
      const q = stored < history ? slot(stored) : head;
      [S[q], sNew] = [s, S[q]];
      [Y[q], yNew] = [yv, Y[q]];
      rho[q] = 1 / sy;
      if (stored < history) stored++;
      else head = (head + 1) % history;
    }
    const relChange = (f - fNext) / Math.max(1, Math.abs(f));
    f = fNext;
    if (relChange < 1e-12) break;
  }
  return { weights: theta.slice(0, d), bias: theta[d], C, iterations: iter };
}

/** Probability of the positive class for each row. */
export function predictLogistic(model: LogisticModel, X: SparseRows): Float64Array {
  const n = X.rowPtr.length - 1;
  const z = new Float64Array(n);
  margins(X, model.weights, model.bias, z);
  for (let i = 0; i < n; i++) z[i] = 1 / (1 + Math.exp(-z[i]));
  return z;
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

/** y += a·x, then (if `next` is given) returns next·y, computed in the same pass. */
function axpyThenDot(a: number, x: Float64Array, y: Float64Array, next: Float64Array | null): number {
  if (!next) {
    for (let i = 0; i < x.length; i++) y[i] += a * x[i];
    return 0;
  }
  let s = 0;
  for (let i = 0; i < x.length; i++) {
    y[i] += a * x[i];
    s += next[i] * y[i];
  }
  return s;
}

/** y *= a, then (if `next` is given) returns next·y, computed in the same pass. */
function scaleThenDot(a: number, y: Float64Array, next: Float64Array | null): number {
  let s = 0;
  for (let i = 0; i < y.length; i++) {
    y[i] *= a;
    if (next) s += next[i] * y[i];
  }
  return s;
}

/** Dot product of the first `len` entries. */
function dotN(a: Float64Array, b: Float64Array, len: number): number {
  let s = 0;
  for (let i = 0; i < len; i++) s += a[i] * b[i];
  return s;
}

function maxAbs(a: Float64Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]));
  return m;
}
