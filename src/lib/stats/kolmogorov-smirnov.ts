/**
 * Two-sample Kolmogorov–Smirnov, ported from scipy 1.10.1 (scipy/stats/_stats_py.py `ks_2samp`,
 * scipy/stats/_stats_pythran.py, scipy/stats/_ksstats.py `_kolmogn`, scipy/special/cephes/kolmogorov.c
 * `smirnov`) for method 'auto', alternative 'two-sided'.
 */
import { InvalidInputError, requireFiniteEach } from '../errors';
import { type Numbers, requireNonEmpty, sortedCopy } from './numbers';

export interface KsResult {
  /** The largest distance between the two empirical CDFs. */
  statistic: number;
  pValue: number;
}

/** scipy's 'auto' method is exact while the larger sample has at most this many values. */
const KS_MAX_EXACT_N = 10000;

function clipProbability(p: number): number {
  return Math.min(Math.max(p, 0), 1);
}

/** numpy's `round`: halves go to the even neighbour. */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x - Math.trunc(x)) === 0.5 ? 2 * Math.round(x / 2) : r;
}

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

/** value · 2^exponent without overflowing the intermediate power of two. */
function ldexp(value: number, exponent: number): number {
  let v = value;
  let e = exponent;
  for (; e > 1000; e -= 1000) v *= 2 ** 1000;
  for (; e < -1000; e += 1000) v *= 2 ** -1000;
  return v * 2 ** e;
}

/**
 * KS test of two independent samples, two-sided, exactly as scipy 1.10.1
 * `ks_2samp(reference, current, method='auto')`: the exact p-value while the larger sample has at most
 * 10,000 values (falling back to the asymptotic one if that computation fails), otherwise the
 * Kolmogorov distribution of round(n1·n2/(n1 + n2)). Ties are handled as scipy does (right-continuous
 * ECDFs evaluated at every observed value).
 */
export function ksTwoSample(reference: Numbers, current: Numbers): KsResult {
  requireNonEmpty(reference, 'reference');
  requireNonEmpty(current, 'current');
  requireFiniteEach('reference', reference);
  requireFiniteEach('current', current);
  const a = sortedCopy(reference);
  const b = sortedCopy(current);
  return ksTwoSampleFromStatistic(ksStatistic(a, b), a.length, b.length);
}

/** sup |F_a − F_b| over the observed values, each term computed as scipy does (count/n1 − count/n2). */
function ksStatistic(a: Float64Array, b: Float64Array): number {
  const n1 = a.length;
  const n2 = b.length;
  let i = 0;
  let j = 0;
  let maxDiff = -Infinity;
  let minDiff = Infinity;
  while (i < n1 || j < n2) {
    const v = j >= n2 || (i < n1 && a[i] <= b[j]) ? a[i] : b[j];
    while (i < n1 && a[i] <= v) i++;
    while (j < n2 && b[j] <= v) j++;
    const diff = i / n1 - j / n2;
    if (diff > maxDiff) maxDiff = diff;
    if (diff < minDiff) minDiff = diff;
  }
  const minS = clipProbability(-minDiff);
  return minS > maxDiff ? minS : maxDiff;
}

/**
 * The two-sided KS p-value of a statistic `d` between samples of sizes n1 and n2, with scipy's method
 * 'auto'. The exact method works on the lattice of attainable values, so, as in scipy, the returned
 * statistic is `d` rounded to the nearest multiple of 1/lcm(n1, n2).
 */
export function ksTwoSampleFromStatistic(d: number, n1: number, n2: number): KsResult {
  for (const [field, n] of [
    ['n1', n1],
    ['n2', n2],
  ] as const) {
    if (!Number.isInteger(n) || n < 1) {
      throw new InvalidInputError(`${field} expects a positive integer, but got ${n}`, { field });
    }
  }
  if (!(d >= 0 && d <= 1)) throw new InvalidInputError(`d expects a KS statistic in [0, 1], but got ${d}`, { field: 'd' });
  let statistic = d;
  if (Math.max(n1, n2) <= KS_MAX_EXACT_N) {
    const exact = exactTwoSidedKs(n1, n2, d);
    if (exact.pValue !== null) return { statistic: exact.statistic, pValue: exact.pValue };
    statistic = exact.statistic;
  }
  const [m, n] = n1 >= n2 ? [n1, n2] : [n2, n1];
  const en = (m * n) / (m + n);
  return { statistic, pValue: clipProbability(kolmogorovSf(roundHalfEven(en), statistic)) };
}

/** scipy's `_attempt_exact_2kssamp`; a null p-value means the exact computation failed. */
function exactTwoSidedKs(n1: number, n2: number, d: number): { statistic: number; pValue: number | null } {
  const g = gcd(n1, n2);
  const lcm = (n1 / g) * n2;
  const h = roundHalfEven(d * lcm);
  const statistic = h / lcm;
  if (h === 0) return { statistic, pValue: 1 };
  const p = n1 === n2 ? probOutsideSquare(n1, h) : outerProbInside(n1, n2, g, h);
  return { statistic, pValue: p >= 0 && p <= 1 ? p : null };
}

/**
 * P(D_{n,n} ≥ h/n) = 2·Σ_k (−1)^(k+1) C(2n, n − kh)/C(2n, n), evaluated Horner-fashion on the ratios to
 * avoid cancellation (scipy's `_compute_prob_outside_square`).
 */
function probOutsideSquare(n: number, h: number): number {
  let p = 0;
  for (let k = Math.floor(n / h); k >= 0; k--) {
    let p1 = 1;
    for (let j = 0; j < h; j++) p1 = ((n - k * h - j) * p1) / (n + k * h + j + 1);
    p = p1 * (1 - p);
  }
  return 2 * p;
}

/**
 * The share of lattice paths from (0, 0) to (m, n) that leave the band |x/m − y/n| < h/lcm(m, n), by
 * Hodges' inside method with Viehmann's recursion for 1 − p (scipy's `_compute_outer_prob_inside_method`).
 */
function outerProbInside(m0: number, n0: number, g: number, h: number): number {
  const [m, n] = m0 >= n0 ? [m0, n0] : [n0, m0];
  const mg = m / g;
  const ng = n / g;
  let minj = 0;
  let maxj = Math.min(Math.ceil(h / mg), n + 1);
  let curlen = maxj - minj;
  const A = new Float64Array(Math.min(2 * maxj + 2, n + 1)).fill(1);
  A.fill(0, minj, maxj);
  for (let i = 1; i <= m; i++) {
    const lastminj = minj;
    const lastlen = curlen;
    minj = Math.min(Math.max(Math.floor((ng * i - h) / mg) + 1, 0), n);
    maxj = Math.min(Math.ceil((ng * i + h) / mg), n + 1);
    if (maxj <= minj) return 1;
    let val = minj === 0 ? 0 : 1;
    for (let jj = 0; jj < maxj - minj; jj++) {
      const j = jj + minj;
      val = (A[jj + minj - lastminj] * i + val * j) / (i + j);
      A[jj] = val;
    }
    curlen = maxj - minj;
    if (lastlen > curlen) A.fill(1, maxj - minj, maxj - minj + (lastlen - curlen));
  }
  return A[maxj - minj - 1];
}

// --- The two-sided one-sample Kolmogorov distribution (scipy `_kolmogn`, Simard & L'Ecuyer 2011) ---

const E128 = 2 ** 128;
const EM128 = 2 ** -128;
const SQRT2PI = Math.sqrt(2 * Math.PI);
const LOG_2PI = Math.log(2 * Math.PI);
const PI_SQUARED = Math.PI ** 2;
const PI_FOUR = Math.PI ** 4;
const PI_SIX = Math.PI ** 6;
/** Stirling series coefficients B_2j/(2j)/(2j−1), j = 8 … 1 (highest power first). */
const STIRLING_COEFFS = [
  -2.955065359477124183e-2, 6.4102564102564102564e-3, -1.9175269175269175269e-3, 8.4175084175084175084e-4, -5.952380952380952381e-4,
  7.9365079365079365079e-4, -2.7777777777777777778e-3, 8.3333333333333333333e-2,
];

/** log(n!/n^n) by Stirling's series with n·log(n) removed up front. */
function logNFactorialOverNPowN(n: number): number {
  const rn = 1 / n;
  const x = rn / n;
  const series = STIRLING_COEFFS.reduce((acc, c) => acc * x + c, 0);
  return Math.log(n) / 2 - n + LOG_2PI / 2 + rn * series;
}

/**
 * P(D_n ≥ d) for the two-sided one-sample KS statistic D_n = sup|F_n − F| (scipy.stats.kstwo.sf),
 * choosing between the Ruben–Gambino closed forms, Durbin's matrix (Marsaglia–Tsang–Wang), Pomeranz's
 * recursion, Pelz–Good's asymptotic series and twice the one-sided Smirnov tail as scipy's `_kolmogn` does.
 */
export function kolmogorovSf(n: number, d: number): number {
  if (!Number.isInteger(n) || n < 1) throw new InvalidInputError(`n expects a positive integer, but got ${n}`, { field: 'n' });
  if (Number.isNaN(d)) throw new InvalidInputError('d expects a number, but got NaN', { field: 'd' });
  if (d >= 1) return 0;
  if (d <= 0) return 1;
  const t = n * d;
  if (t <= 1) {
    if (t <= 0.5) return 1;
    let cdf: number;
    if (n <= 140) {
      cdf = 1;
      for (let i = 1; i <= n; i++) cdf *= i * (1 / n) * (2 * t - 1);
    } else {
      cdf = Math.exp(logNFactorialOverNPowN(n) + n * Math.log(2 * t - 1));
    }
    return clipProbability(1 - cdf);
  }
  if (t >= n - 1) return clipProbability(2 * (1 - d) ** n);
  if (d >= 0.5) return clipProbability(2 * smirnovSf(n, d));
  const nxSquared = t * d;
  if (n <= 140) {
    if (nxSquared <= 0.754693) return clipProbability(1 - durbinMatrixCdf(n, d));
    if (nxSquared <= 4) return clipProbability(1 - pomeranzCdf(n, d));
    return clipProbability(2 * smirnovSf(n, d));
  }
  if (nxSquared >= 370) return 0;
  if (nxSquared >= 2.2) return clipProbability(2 * smirnovSf(n, d));
  const cdf = n <= 100000 && n * d ** 1.5 <= 1.4 ? durbinMatrixCdf(n, d) : pelzGoodCdf(n, d);
  return clipProbability(1 - cdf);
}

function matrixMultiply(a: Float64Array, b: Float64Array, m: number): Float64Array {
  const out = new Float64Array(m * m);
  for (let i = 0; i < m; i++) {
    for (let k = 0; k < m; k++) {
      const aik = a[i * m + k];
      if (aik === 0) continue;
      for (let j = 0; j < m; j++) out[i * m + j] += aik * b[k * m + j];
    }
  }
  return out;
}

/** P(D_n ≤ d) by Durbin's matrix method as Marsaglia, Tsang and Wang (2003) compute it (scipy `_kolmogn_DMTW`). */
function durbinMatrixCdf(n: number, d: number): number {
  if (d >= 1) return 1;
  const nd = n * d;
  if (nd <= 0.5) return 0;
  const k = Math.ceil(nd);
  const h = k - nd;
  const m = 2 * k - 1;
  const v = new Float64Array(m);
  const w = new Float64Array(m);
  let fac = 1;
  for (let j = 1; j <= m; j++) {
    v[j - 1] = 1 - h ** j;
    w[j - 1] = fac;
    fac /= j;
    v[j - 1] *= fac;
  }
  v[m - 1] = (1 + (Math.max(2 * h - 1, 0) ** m - 2 * h ** m)) * fac;

  let H: Float64Array = new Float64Array(m * m);
  for (let col = 1; col < m; col++) for (let row = col - 1; row < m; row++) H[row * m + col] = w[row - col + 1];
  for (let row = 0; row < m; row++) H[row * m] = v[row];
  for (let col = 0; col < m; col++) H[(m - 1) * m + col] = v[m - 1 - col];

  let power: Float64Array = new Float64Array(m * m);
  for (let i = 0; i < m; i++) power[i * m + i] = 1;
  let exponent = 0;
  let hExponent = 0;
  for (let nn = n; nn > 0; nn = Math.floor(nn / 2)) {
    if (nn % 2) {
      power = matrixMultiply(power, H, m);
      exponent += hExponent;
    }
    H = matrixMultiply(H, H, m);
    hExponent *= 2;
    if (Math.abs(H[(k - 1) * m + k - 1]) > E128) {
      for (let i = 0; i < H.length; i++) H[i] /= E128;
      hExponent += 128;
    }
  }
  let p = power[(k - 1) * m + k - 1];
  for (let i = 1; i <= n; i++) {
    p = (i * p) / n; // × n!/n^n
    if (Math.abs(p) < EM128) {
      p *= E128;
      exponent -= 128;
    }
  }
  return clipProbability(exponent !== 0 ? ldexp(p, exponent) : p);
}

/** Row `i`'s band of non-zero entries in Pomeranz's recursion (scipy `_pomeranz_compute_j1j2`). */
function pomeranzBand(i: number, n: number, ll: number, ceilf: number, roundf: number): [number, number] {
  let j1: number;
  let j2: number;
  if (i === 0) {
    j1 = -ll - ceilf - 1;
    j2 = ll + ceilf - 1;
  } else {
    const half = Math.floor((i + 1) / 2);
    if ((i + 1) % 2 === 0) {
      if (half === n + 1) {
        j1 = n - ll - ceilf - 1;
        j2 = n + ll + ceilf - 1;
      } else {
        j1 = half - 1 - ll - roundf - 1;
        j2 = half + ll - 1 + ceilf - 1;
      }
    } else {
      j1 = half - 1 - ll - 1;
      j2 = half + ll + roundf - 1;
    }
  }
  return [Math.max(j1 + 2, 0), Math.min(j2, n)];
}

/** The full discrete convolution of a and b (numpy `convolve`, mode 'full'). */
function convolve(a: Float64Array, b: Float64Array): Float64Array {
  const out = new Float64Array(Math.max(a.length + b.length - 1, 0));
  for (let i = 0; i < a.length; i++) for (let j = 0; j < b.length; j++) out[i + j] += a[i] * b[j];
  return out;
}

/** P(D_n ≤ d) by Pomeranz's recursion (1974) (scipy `_kolmogn_Pomeranz`). */
function pomeranzCdf(n: number, d: number): number {
  const t = n * d;
  const ll = Math.floor(t);
  const f = t - ll;
  const g = Math.min(f, 1 - f);
  const ceilf = f > 0 ? 1 : 0;
  const roundf = f > 0.5 ? 1 : 0;
  const npwrs = 2 * (ll + 1);
  // (g/n)^m/m!, (2g/n)^m/m!, ((1−2g)/n)^m/m!: Poisson probabilities without their normalizing factor
  const gPower = new Float64Array(npwrs);
  const twoGPower = new Float64Array(npwrs);
  const oneMinusTwoGPower = new Float64Array(npwrs);
  gPower[0] = twoGPower[0] = oneMinusTwoGPower[0] = 1;
  for (let m = 1; m < npwrs; m++) {
    gPower[m] = (gPower[m - 1] * (g / n)) / m;
    twoGPower[m] = (twoGPower[m - 1] * ((2 * g) / n)) / m;
    oneMinusTwoGPower[m] = (oneMinusTwoGPower[m - 1] * ((1 - 2 * g) / n)) / m;
  }
  let V0 = new Float64Array(npwrs);
  let V1 = new Float64Array(npwrs);
  V1[0] = 1;
  let V0s = 0;
  let V1s = 0;
  let exponent = 0;
  let [j1, j2] = pomeranzBand(0, n, ll, ceilf, roundf);
  for (let i = 1; i < 2 * n + 2; i++) {
    const k1 = j1;
    [V0, V1] = [V1, V0];
    [V0s, V1s] = [V1s, V0s];
    V1.fill(0);
    [j1, j2] = pomeranzBand(i, n, ll, ceilf, roundf);
    const powers = i === 1 || i === 2 * n + 1 ? gPower : i % 2 ? twoGPower : oneMinusTwoGPower;
    const ln2 = j2 - k1 + 1;
    if (ln2 > 0) {
      // subarray clamps and wraps negative starts exactly as numpy slicing does
      const conv = convolve(V0.subarray(k1 - V0s, k1 - V0s + ln2), powers.subarray(0, ln2));
      const convStart = j1 - k1;
      V1.set(conv.subarray(convStart, convStart + (j2 - j1 + 1)));
      let max = -Infinity;
      for (const x of V1) if (x > max) max = x;
      if (max > 0 && max < EM128) {
        for (let m = 0; m < V1.length; m++) V1[m] *= E128;
        exponent -= 128;
      }
      V1s = V0s + j1 - k1;
    }
  }
  let answer = V1[n - V1s];
  for (let m = 1; m <= n; m++) {
    if (Math.abs(answer) > E128) {
      answer *= EM128;
      exponent += 128;
    }
    answer *= m; // × n!
  }
  return clipProbability(exponent !== 0 ? ldexp(answer, exponent) : answer);
}

/** Pelz and Good's (1976) approximation to P(D_n ≤ d) (scipy `_kolmogn_PelzGood`, cdf only). */
function pelzGoodCdf(n: number, d: number): number {
  if (d <= 0) return 0;
  if (d >= 1) return 1;
  const z = Math.sqrt(n) * d;
  const z2 = z ** 2;
  const z3 = z ** 3;
  const z4 = z ** 4;
  const z6 = z ** 6;
  const qlog = -PI_SQUARED / 8 / z2;
  if (qlog < -708) return 0;
  let q = Math.exp(qlog);

  const k1a = -z2;
  const k1b = PI_SQUARED / 4;
  const k2a = 6 * z6 + 2 * z4;
  const k2b = ((2 * z4 - 5 * z2) * PI_SQUARED) / 4;
  const k2c = (PI_FOUR * (1 - 2 * z2)) / 16;
  const k3d = (PI_SIX * (5 - 30 * z2)) / 64;
  const k3c = (PI_FOUR * (-60 * z2 + 212 * z4)) / 16;
  const k3b = (PI_SQUARED * (135 * z4 - 96 * z6)) / 4;
  const k3a = -30 * z6 - 90 * z ** 8;

  // Horner scheme for Σ c_i q^(i²) over odd i
  const K = [0, 0, 0, 0];
  const maxk = Math.ceil((16 * z) / Math.PI);
  for (let k = maxk; k > 0; k--) {
    const m = 2 * k - 1;
    const m2 = m ** 2;
    const m4 = m ** 4;
    const m6 = m ** 6;
    const qPower = q ** (8 * k);
    const coeffs = [1, k1a + k1b * m2, k2a + k2b * m2 + k2c * m4, k3a + k3b * m2 + k3c * m4 + k3d * m6];
    for (let i = 0; i < 4; i++) K[i] = K[i] * qPower + coeffs[i];
  }
  const divisors = [z, 6 * z4, 72 * z ** 7, 6480 * z ** 10];
  for (let i = 0; i < 4; i++) K[i] = (K[i] * q * SQRT2PI) / divisors[i];

  // the remaining terms of K_2 and K_3, over all integers k
  q = Math.exp(-PI_SQUARED / 2 / z2);
  const sqrt3z = Math.sqrt(3) * z;
  let k2extra = 0;
  let k3extra = 0;
  for (let k = maxk; k > 0; k--) {
    const k2 = k ** 2;
    const qk2 = q ** k2;
    const kpi = Math.PI * k;
    k2extra += k2 * qk2;
    k3extra += (sqrt3z + kpi) * (sqrt3z - kpi) * k2 * qk2;
  }
  K[2] += k2extra * ((PI_SQUARED * SQRT2PI) / (-36 * z3));
  K[3] += k3extra * ((PI_SQUARED * SQRT2PI) / (216 * z6));
  return K.reduce((sum, term, i) => sum + term / n ** (i / 2), 0);
}

/** cephes MINLOG, log(2^−1075): exp of anything below it underflows to 0. */
const MINLOG = -7.451332191019412076235e2;

/**
 * P(D_n^+ ≥ d), the one-sided Smirnov tail (scipy.special.smirnov), by the Birnbaum–Tingey sum
 * d·Σ_{v=0}^{⌊n(1−d)⌋} C(n,v)(d + v/n)^(v−1)(1 − d − v/n)^(n−v), each term in logs. scipy sums the
 * alternating "upper" series instead only when d ≤ 0.5/√n, which `kolmogorovSf` never asks for.
 */
function smirnovSf(n: number, d: number): number {
  if (n === 1) return 1 - d;
  if (d === 0) return 1;
  if (d === 1) return 0;
  const nx = n * d;
  const nxFloor = Math.floor(nx);
  const alpha = nx - nxFloor;
  if (nxFloor === 0 || (nxFloor === 1 && alpha === 0)) return 1 - d * (1 + d) ** (n - 1);
  if (-2 * n * d * d < MINLOG) return 0;
  if (nxFloor >= n - 1) return (1 - d) ** n;
  if (n > 1_000_000) {
    const logp = -((6 * nx + 1) ** 2) / 18 / n;
    return logp < -Math.LN2 ? Math.exp(logp) : 1 + Math.expm1(logp);
  }
  // v runs to ⌊n(1 − d)⌋, less the zero term 1 − d − v/n = 0 when n·d is a whole number
  const lastV = n - nxFloor - 1;
  let sum = (1 - d) ** n / d;
  let logBinomial = 0;
  for (let v = 1; v <= lastV; v++) {
    logBinomial += Math.log((n - v + 1) / v);
    const term = Math.exp(logBinomial + (v - 1) * Math.log(d + v / n) + (n - v) * Math.log((n - v) / n - d));
    sum += term;
    // the terms fall away fast past the peak: stop once the rest cannot change the sum
    if (term !== 0 && 4 * (lastV + 1 - v) * term < Number.EPSILON * sum && v !== lastV) break;
    if (term === 0 && v > n / 2) break;
  }
  return clipProbability(d * sum);
}
