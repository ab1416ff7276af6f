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

function margins(X: SparseRows, w: Float64Array, b: number, out: Float64Array): void {
  const n = X.rowPtr.length - 1;
  for (let i = 0; i < n; i++) {
    let z = b;
    for (let p = X.rowPtr[i]; p < X.rowPtr[i + 1]; p++) z += w[X.cols[p]] * X.vals[p];
    out[i] = z;
  }
}

/** log(1 + exp(−m)) without overflow. */
function softplusNeg(m: number): number {
  return m > 0 ? Math.log1p(Math.exp(-m)) : -m + Math.log1p(Math.exp(m));
}

export function fitLogistic(X: SparseRows, y: ArrayLike<number>, opts: LogisticOptions): LogisticModel {
  const n = X.rowPtr.length - 1;
  const d = X.nCols;
  const C = opts.C;
  const maxIter = opts.maxIter ?? 300;
  const tol = opts.tol ?? 1e-6;
  const sign = Float64Array.from({ length: n }, (_, i) => (y[i] > 0.5 ? 1 : -1));
  const z = new Float64Array(n);

  // θ = [w (d), b]
  const evaluate = (theta: Float64Array, grad: Float64Array): number => {
    const w = theta.subarray(0, d);
    const b = theta[d];
    margins(X, w, b, z);
    let f = 0;
    for (let j = 0; j < d; j++) {
      f += 0.5 * w[j] * w[j];
      grad[j] = w[j];
    }
    let gb = 0;
    for (let i = 0; i < n; i++) {
      const m = sign[i] * z[i];
      f += C * softplusNeg(m);
      // d/dz log(1+exp(−y z)) = −y σ(−y z)
      const coef = (-C * sign[i]) / (1 + Math.exp(m));
      gb += coef;
      for (let p = X.rowPtr[i]; p < X.rowPtr[i + 1]; p++) grad[X.cols[p]] += coef * X.vals[p];
    }
    grad[d] = gb;
    return f;
  };

  const size = d + 1;
  const theta = new Float64Array(size);
  const grad = new Float64Array(size);
  let f = evaluate(theta, grad);
  const g0 = maxAbs(grad) || 1;
  if (opts.init) {
    if (opts.init.weights.length !== d) throw new Error(`fitLogistic: warm start has ${opts.init.weights.length} weights, the data ${d} columns`);
    theta.set(opts.init.weights);
    theta[d] = opts.init.bias;
    f = evaluate(theta, grad);
  }
  const history = 10;
  const S: Float64Array[] = [];
  const Y: Float64Array[] = [];
  const rho: number[] = [];
  const dir = new Float64Array(size);
  const next = new Float64Array(size);
  const nextGrad = new Float64Array(size);
  let iter = 0;
  for (; iter < maxIter && maxAbs(grad) > tol * g0; iter++) {
    // Two-loop recursion: dir = −H·grad.
    dir.set(grad);
    const alpha: number[] = new Array(S.length);
    for (let k = S.length - 1; k >= 0; k--) {
      alpha[k] = rho[k] * dot(S[k], dir);
      axpy(-alpha[k], Y[k], dir);
    }
    const gamma = S.length ? dot(S[S.length - 1], Y[S.length - 1]) / dot(Y[S.length - 1], Y[S.length - 1]) : 1 / Math.max(1, Math.sqrt(dot(grad, grad)));
    for (let j = 0; j < size; j++) dir[j] *= gamma;
    for (let k = 0; k < S.length; k++) {
      const beta = rho[k] * dot(Y[k], dir);
      axpy(alpha[k] - beta, S[k], dir);
    }
    for (let j = 0; j < size; j++) dir[j] = -dir[j];
    let slope = dot(grad, dir);
    if (slope >= 0) {
      // Not a descent direction (numerical trouble): restart from steepest descent.
      S.length = Y.length = rho.length = 0;
      for (let j = 0; j < size; j++) dir[j] = -grad[j] / Math.max(1, Math.sqrt(dot(grad, grad)));
      slope = dot(grad, dir);
    }
    // Backtracking line search (Armijo).
    let step = 1;
    let fNext = Infinity;
    for (let tries = 0; tries < 40; tries++) {
      for (let j = 0; j < size; j++) next[j] = theta[j] + step * dir[j];
      fNext = evaluate(next, nextGrad);
      if (fNext <= f + 1e-4 * step * slope) break;
      step *= 0.5;
    }
    if (!(fNext < f)) break;
    const s = new Float64Array(size);
    const yv = new Float64Array(size);
    for (let j = 0; j < size; j++) {
      s[j] = next[j] - theta[j];
      yv[j] = nextGrad[j] - grad[j];
    }
    const sy = dot(s, yv);
    if (sy > 1e-12) {
      S.push(s);
      Y.push(yv);
      rho.push(1 / sy);
      if (S.length > history) {
        S.shift();
        Y.shift();
        rho.shift();
      }
    }
    const relChange = (f - fNext) / Math.max(1, Math.abs(f));
    theta.set(next);
    grad.set(nextGrad);
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

function axpy(a: number, x: Float64Array, y: Float64Array): void {
  for (let i = 0; i < x.length; i++) y[i] += a * x[i];
}

function maxAbs(a: Float64Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]));
  return m;
}
