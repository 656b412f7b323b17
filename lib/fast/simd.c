/*
 * The compute routines of lib/fast/routines.ts, in WebAssembly SIMD: a linear
 * layer's two products, x·W + b and xᵀ·dy, and gray levels scaled to 0..1.
 *
 * TensorFlow.js's WebAssembly backend runs the products through XNNPACK,
 * which is built for big dense products: for the lesson's shapes it spends
 * most of its time packing the weights anew after every update (784 × 1), or
 * walks a transposed batch with a plain loop (xᵀ·dy). These functions do only
 * the arithmetic, reading and writing the backend's own memory:
 * `lib/fast/routines.ts` passes them the addresses of the tensors (and a bias
 * of zeros where the product has none).
 *
 * Zero pixels: about 81% of an MNIST image is black background, exact zeros,
 * which add nothing to a weighted sum. With more than one output column the
 * products below skip them, which gives the same sums as the dense product
 * (up to the order of the additions). With one column, a dense dot product
 * is faster than skipping.
 *
 * Build: `deno task simd` compiles this file with clang into
 * `lib/fast/simd_wasm.ts`. The functions use no memory of their own: no stack,
 * no globals, no data; every buffer is passed in.
 */
#include <wasm_simd128.h>

/* a·b + c for four floats. Built with -mrelaxed-simd (the second module of
 * `deno task simd`), one fused multiply-add, f32x4.relaxed_madd, which may
 * round once instead of twice (the last bits of a sum may differ); otherwise
 * a multiplication and an addition, as the plain build always computes. */
#ifdef __wasm_relaxed_simd__
#define MADD(a, b, c) wasm_f32x4_relaxed_madd((a), (b), (c))
#else
#define MADD(a, b, c) wasm_f32x4_add((c), wasm_f32x4_mul((a), (b)))
#endif

/* Columns are handled in tiles of at most 32: 8 SIMD registers of 4 floats. */
#define TILE 32

/* The nonzero entries of x [n][k], row by row: those of row i are
 * where[starts[i] .. starts[i+1]) (their columns) and value[...] (their
 * values). Four zeros in a row are skipped with one comparison. Returns how
 * many entries there are; count_nonzeros says it beforehand, to size the
 * lists, which need room for one entry more: each entry is written before
 * the test that keeps or drops it. */
int count_nonzeros(const float *x, int n, int k) {
  int count = 0;
  for (int q = 0; q < n * k; q++) count += x[q] != 0.0f;
  return count;
}

int list_nonzeros(const float *x, int n, int k, int *starts, int *where,
                  float *value) {
  int count = 0;
  for (int i = 0; i < n; i++) {
    const float *row = x + i * k;
    starts[i] = count;
    int p = 0;
    for (; p + 4 <= k; p += 4) {
      v128_t four = wasm_v128_load(row + p);
      if (!wasm_i32x4_bitmask(wasm_f32x4_ne(four, wasm_f32x4_splat(0.0f)))) {
        continue;
      }
      for (int q = p; q < p + 4; q++) {
        where[count] = q;
        value[count] = row[q];
        count += row[q] != 0.0f;
      }
    }
    for (; p < k; p++) {
      where[count] = p;
      value[count] = row[p];
      count += row[p] != 0.0f;
    }
  }
  starts[n] = count;
  return count;
}
/* The sum of the four lanes of v. */
static inline float lanes_sum(v128_t v) {
  return wasm_f32x4_extract_lane(v, 0) + wasm_f32x4_extract_lane(v, 1) +
         wasm_f32x4_extract_lane(v, 2) + wasm_f32x4_extract_lane(v, 3);
}

/* a[0..k) · b[0..k) */
static float dot(const float *a, const float *b, int k) {
  v128_t even = wasm_f32x4_splat(0.0f), odd = wasm_f32x4_splat(0.0f);
  int p = 0;
  for (; p + 8 <= k; p += 8) {
    even = MADD(wasm_v128_load(a + p), wasm_v128_load(b + p), even);
    odd = MADD(wasm_v128_load(a + p + 4), wasm_v128_load(b + p + 4), odd);
  }
  float s = lanes_sum(wasm_f32x4_add(even, odd));
  for (; p < k; p++) s += a[p] * b[p];
  return s;
}

/* How many floats of scratch memory the two functions below need. */
int scratch_floats(int k) { return k * TILE + TILE; }

/* out[n][m] = x[n][k] · w[k][m] + b[m], for m = 1: a dot product per row,
 * four rows at a time so that each load of w serves four rows. */
void linear_forward_dense(const float *x, const float *w, const float *b,
                          float *out, int n, int k) {
  int i = 0;
  for (; i + 4 <= n; i += 4) {
    const float *r0 = x + i * k, *r1 = r0 + k, *r2 = r1 + k, *r3 = r2 + k;
    v128_t s0 = wasm_f32x4_splat(0.0f), s1 = s0, s2 = s0, s3 = s0;
    int p = 0;
    for (; p + 4 <= k; p += 4) {
      v128_t wp = wasm_v128_load(w + p);
      s0 = MADD(wasm_v128_load(r0 + p), wp, s0);
      s1 = MADD(wasm_v128_load(r1 + p), wp, s1);
      s2 = MADD(wasm_v128_load(r2 + p), wp, s2);
      s3 = MADD(wasm_v128_load(r3 + p), wp, s3);
    }
    float t0 = lanes_sum(s0), t1 = lanes_sum(s1), t2 = lanes_sum(s2),
          t3 = lanes_sum(s3);
    for (; p < k; p++) {
      t0 += r0[p] * w[p];
      t1 += r1[p] * w[p];
      t2 += r2[p] * w[p];
      t3 += r3[p] * w[p];
    }
    out[i] = t0 + b[0];
    out[i + 1] = t1 + b[0];
    out[i + 2] = t2 + b[0];
    out[i + 3] = t3 + b[0];
  }
  for (; i < n; i++) out[i] = dot(x + i * k, w, k) + b[0];
}

/* The sparse product below for tiles of `nv` SIMD registers (nv·4 columns):
 * nv is 8 or 4, a constant where it is called, so that a tile's sums stay in
 * registers. */
__attribute__((always_inline)) static inline void forward_sparse_tiles(
    const int *starts, const int *where, const float *value, const float *w,
    const float *b, float *out, int n, int k, int m, float *scratch, int nv) {
  int tile = 4 * nv;
  float *w_tile = scratch, *out_row = w_tile + k * tile;
  for (int j0 = 0; j0 < m; j0 += tile) {
    int cols = m - j0 < tile ? m - j0 : tile;
    for (int r = 0; r < k; r++) {
      int j = 0;
      for (; j < cols; j++) w_tile[r * tile + j] = w[r * m + j0 + j];
      for (; j < tile; j++) w_tile[r * tile + j] = 0.0f;
    }
    for (int j = 0; j < tile; j++) out_row[j] = j < cols ? b[j0 + j] : 0.0f;
    v128_t bias[8], sum[8];
#pragma clang loop unroll(full)
    for (int q = 0; q < 8; q++) {
      if (q < nv) bias[q] = wasm_v128_load(out_row + 4 * q);
    }
    for (int i = 0; i < n; i++) {
#pragma clang loop unroll(full)
      for (int q = 0; q < 8; q++) {
        if (q < nv) sum[q] = bias[q];
      }
      for (int c = starts[i]; c < starts[i + 1]; c++) {
        v128_t sv = wasm_f32x4_splat(value[c]);
        const float *row = w_tile + where[c] * tile;
#pragma clang loop unroll(full)
        for (int q = 0; q < 8; q++) {
          if (q < nv) {
            sum[q] = MADD(sv, wasm_v128_load(row + 4 * q), sum[q]);
          }
        }
      }
#pragma clang loop unroll(full)
      for (int q = 0; q < 8; q++) {
        if (q < nv) wasm_v128_store(out_row + 4 * q, sum[q]);
      }
      for (int j = 0; j < cols; j++) out[i * m + j0 + j] = out_row[j];
    }
  }
}

/* out[n][m] = x[n][k] · w[k][m] + b[m], x given by its nonzero entries;
 * columns in tiles of 32, or of 16 when there are at most 16 (a tile of 32
 * would be half zeros). */
void linear_forward_sparse(const int *starts, const int *where,
                           const float *value, const float *w, const float *b,
                           float *out, int n, int k, int m, float *scratch) {
  if (m <= 16) {
    forward_sparse_tiles(starts, where, value, w, b, out, n, k, m, scratch, 4);
  } else {
    forward_sparse_tiles(starts, where, value, w, b, out, n, k, m, scratch, 8);
  }
}

/* dw[k][m] = xᵀ · dy, for x [n][k] and dy [n][m] with m = 1: the gradient
 * of the weights, given the gradient dy of the layer's output. Four rows
 * at a time, so that dw is read and written once per four rows. */
void linear_weight_grad_dense(const float *x, const float *dy, float *dw,
                              int n, int k) {
  for (int p = 0; p < k; p++) dw[p] = 0.0f;
  int i = 0;
  for (; i + 4 <= n; i += 4) {
    const float *r0 = x + i * k, *r1 = r0 + k, *r2 = r1 + k, *r3 = r2 + k;
    v128_t d0 = wasm_f32x4_splat(dy[i]), d1 = wasm_f32x4_splat(dy[i + 1]),
           d2 = wasm_f32x4_splat(dy[i + 2]), d3 = wasm_f32x4_splat(dy[i + 3]);
    int p = 0;
    for (; p + 4 <= k; p += 4) {
      v128_t sum = wasm_f32x4_add(
          wasm_f32x4_add(wasm_f32x4_mul(d0, wasm_v128_load(r0 + p)),
                         wasm_f32x4_mul(d1, wasm_v128_load(r1 + p))),
          wasm_f32x4_add(wasm_f32x4_mul(d2, wasm_v128_load(r2 + p)),
                         wasm_f32x4_mul(d3, wasm_v128_load(r3 + p))));
      wasm_v128_store(dw + p, wasm_f32x4_add(wasm_v128_load(dw + p), sum));
    }
    for (; p < k; p++) {
      dw[p] += dy[i] * r0[p] + dy[i + 1] * r1[p] + dy[i + 2] * r2[p] +
               dy[i + 3] * r3[p];
    }
  }
  for (; i < n; i++) {
    const float *row = x + i * k;
    for (int p = 0; p < k; p++) dw[p] += dy[i] * row[p];
  }
}

/* The sparse weights' gradient below for tiles of `nv` SIMD registers (nv·4
 * columns), nv 8 or 4 as above. */
__attribute__((always_inline)) static inline void weight_grad_sparse_tiles(
    const int *starts, const int *where, const float *value, const float *dy,
    float *dw, int n, int k, int m, float *scratch, int nv) {
  int tile = 4 * nv;
  float *dw_tile = scratch, *dy_row = dw_tile + k * tile;
  for (int j0 = 0; j0 < m; j0 += tile) {
    int cols = m - j0 < tile ? m - j0 : tile;
    for (int q = 0; q < k * tile; q++) dw_tile[q] = 0.0f;
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < tile; j++) {
        dy_row[j] = j < cols ? dy[i * m + j0 + j] : 0.0f;
      }
      v128_t d[8];
#pragma clang loop unroll(full)
      for (int q = 0; q < 8; q++) {
        if (q < nv) d[q] = wasm_v128_load(dy_row + 4 * q);
      }
      for (int c = starts[i]; c < starts[i + 1]; c++) {
        float *g = dw_tile + where[c] * tile;
        v128_t v = wasm_f32x4_splat(value[c]);
#pragma clang loop unroll(full)
        for (int q = 0; q < 8; q++) {
          if (q < nv) {
            wasm_v128_store(g + 4 * q, MADD(v, d[q], wasm_v128_load(g + 4 * q)));
          }
        }
      }
    }
    for (int p = 0; p < k; p++) {
      for (int j = 0; j < cols; j++) dw[p * m + j0 + j] = dw_tile[p * tile + j];
    }
  }
}

/* dw[k][m] = xᵀ · dy, x given by its nonzero entries; tiles as in
 * linear_forward_sparse. */
void linear_weight_grad_sparse(const int *starts, const int *where,
                               const float *value, const float *dy, float *dw,
                               int n, int k, int m, float *scratch) {
  if (m <= 16) {
    weight_grad_sparse_tiles(starts, where, value, dy, dw, n, k, m, scratch, 4);
  } else {
    weight_grad_sparse_tiles(starts, where, value, dy, dw, n, k, m, scratch, 8);
  }
}

/* out[i] = bytes[i] / 255: gray levels 0..255 as floats 0..1. */
void unit_floats(const unsigned char *bytes, float *out, int n) {
  const v128_t scale = wasm_f32x4_splat(255.0f);
  int i = 0;
  for (; i + 16 <= n; i += 16) {
    v128_t b = wasm_v128_load(bytes + i);
    v128_t low = wasm_u16x8_extend_low_u8x16(b);
    v128_t high = wasm_u16x8_extend_high_u8x16(b);
    v128_t quarters[4] = {
        wasm_u32x4_extend_low_u16x8(low), wasm_u32x4_extend_high_u16x8(low),
        wasm_u32x4_extend_low_u16x8(high), wasm_u32x4_extend_high_u16x8(high)};
#pragma clang loop unroll(full)
    for (int q = 0; q < 4; q++) {
      wasm_v128_store(out + i + 4 * q,
                      wasm_f32x4_div(wasm_f32x4_convert_i32x4(quarters[q]), scale));
    }
  }
  for (; i < n; i++) out[i] = (float)bytes[i] / 255.0f;
}

/* out[m] = the sums of the columns of x[n][m]: the gradient of a bias added
 * to every row. Rows are added in order, four columns at a time. */
void column_sums(const float *x, float *out, int n, int m) {
  int j = 0;
  for (; j + 4 <= m; j += 4) {
    v128_t sum = wasm_f32x4_splat(0.0f);
    for (int i = 0; i < n; i++) {
      sum = wasm_f32x4_add(sum, wasm_v128_load(x + i * m + j));
    }
    wasm_v128_store(out + j, sum);
  }
  for (; j < m; j++) {
    float sum = 0.0f;
    for (int i = 0; i < n; i++) sum += x[i * m + j];
    out[j] = sum;
  }
}

/* One tap's sums for `regs` × 4 filters from fo on (regs is 1, 2 or 4, a
 * constant where it is called, so that the sums stay in registers): over
 * the output pixels oy0..oy1 × ox0..ox1, skipping zero pixels. */
static inline void filter_block(const float *xi, const float *di, float *g,
                                int regs, int fo, int f, int w, int c, int ow,
                                int stride, int ki, int kj, int ci, int top,
                                int left, int oy0, int oy1, int ox0, int ox1) {
  v128_t s[4] = {wasm_f32x4_splat(0.0f), wasm_f32x4_splat(0.0f),
                 wasm_f32x4_splat(0.0f), wasm_f32x4_splat(0.0f)};
  for (int oy = oy0; oy < oy1; oy++) {
    const float *xrow = xi + ((oy * stride + ki - top) * w + kj - left) * c + ci;
    const float *drow = di + oy * ow * f + fo;
    for (int ox = ox0; ox < ox1; ox++) {
      float v = xrow[ox * stride * c];
      if (v == 0.0f) continue;
      v128_t vv = wasm_f32x4_splat(v);
      const float *d = drow + ox * f;
#pragma clang loop unroll(full)
      for (int r = 0; r < 4; r++) {
        if (r < regs) {
          s[r] = MADD(vv, wasm_v128_load(d + 4 * r), s[r]);
        }
      }
    }
  }
#pragma clang loop unroll(full)
  for (int r = 0; r < 4; r++) {
    if (r < regs) {
      float *to = g + fo + 4 * r;
      wasm_v128_store(to, wasm_f32x4_add(wasm_v128_load(to), s[r]));
    }
  }
}

/* The gradient of a convolution's filters, given the gradient dy of its
 * output: for images x [n][h][w][c] (channels last), windows of kh × kw
 * pixels `stride` apart, starting `top` rows and `left` columns before the
 * image (zeros outside it), and dy [n][oh][ow][f],
 *   dw[ki][kj][ci][fo] = Σ x[image][oy·stride + ki − top][ox·stride + kj − left][ci]
 *                          · dy[image][oy][ox][fo].
 * Image by image (its x and dy stay in the cache), tap by tap, 16 filters at
 * a time kept in registers (then 8, then 4) while the sum runs over the
 * output pixels; the sums of an image are then added to dw. Zero pixels are
 * skipped (81% of an MNIST image). */
void conv_filter_grad(const float *x, const float *dy, float *dw, int n, int h,
                      int w, int c, int oh, int ow, int f, int kh, int kw,
                      int stride, int top, int left) {
  for (int q = 0; q < kh * kw * c * f; q++) dw[q] = 0.0f;
  for (int image = 0; image < n; image++) {
    const float *xi = x + image * h * w * c;
    const float *di = dy + image * oh * ow * f;
    for (int ki = 0; ki < kh; ki++) {
      /* The output rows whose window row ki falls inside the image. */
      int oy0 = 0, oy1 = oh;
      while (oy0 < oh && oy0 * stride + ki - top < 0) oy0++;
      while (oy1 > oy0 && (oy1 - 1) * stride + ki - top >= h) oy1--;
      for (int kj = 0; kj < kw; kj++) {
        int ox0 = 0, ox1 = ow;
        while (ox0 < ow && ox0 * stride + kj - left < 0) ox0++;
        while (ox1 > ox0 && (ox1 - 1) * stride + kj - left >= w) ox1--;
        for (int ci = 0; ci < c; ci++) {
          float *g = dw + ((ki * kw + kj) * c + ci) * f;
          int fo = 0;
          for (; fo + 16 <= f; fo += 16) {
            filter_block(xi, di, g, 4, fo, f, w, c, ow, stride, ki, kj, ci,
                         top, left, oy0, oy1, ox0, ox1);
          }
          if (fo + 8 <= f) {
            filter_block(xi, di, g, 2, fo, f, w, c, ow, stride, ki, kj, ci,
                         top, left, oy0, oy1, ox0, ox1);
            fo += 8;
          }
          if (fo + 4 <= f) {
            filter_block(xi, di, g, 1, fo, f, w, c, ow, stride, ki, kj, ci,
                         top, left, oy0, oy1, ox0, ox1);
            fo += 4;
          }
          for (; fo < f; fo++) {
            float sum = 0.0f;
            for (int oy = oy0; oy < oy1; oy++) {
              for (int ox = ox0; ox < ox1; ox++) {
                int iy = oy * stride + ki - top, ix = ox * stride + kj - left;
                sum += xi[(iy * w + ix) * c + ci] * di[(oy * ow + ox) * f + fo];
              }
            }
            g[fo] += sum;
          }
        }
      }
    }
  }
}

/* out[i][j] = x[i][j] + b[j] for x [n][m]: a layer's bias added to every row
 * (or pixel). */
void add_rows(const float *x, const float *b, float *out, int n, int m) {
  for (int i = 0; i < n; i++) {
    const float *row = x + i * m;
    float *to = out + i * m;
    int j = 0;
    for (; j + 4 <= m; j += 4) {
      wasm_v128_store(to + j, wasm_f32x4_add(wasm_v128_load(row + j),
                                             wasm_v128_load(b + j)));
    }
    for (; j < m; j++) to[j] = row[j] + b[j];
  }
}

/* dx[i] = dy[i] · step(x[i]), where step(x) is 1 for x > 0, alpha otherwise,
 * and NaN for a NaN: the gradient of relu (alpha 0) and of |x| (alpha −1), as
 * TensorFlow.js computes it (dy times a float32 step), in one pass. */
void step_gradient(const float *x, const float *dy, float *dx, int n,
                   float alpha) {
  const v128_t one = wasm_f32x4_splat(1.0f), low = wasm_f32x4_splat(alpha),
               zero = wasm_f32x4_splat(0.0f);
  int i = 0;
  for (; i + 4 <= n; i += 4) {
    v128_t v = wasm_v128_load(x + i);
    v128_t step = wasm_v128_bitselect(one, low, wasm_f32x4_gt(v, zero));
    step = wasm_v128_bitselect(v, step, wasm_f32x4_ne(v, v));
    wasm_v128_store(dx + i, wasm_f32x4_mul(wasm_v128_load(dy + i), step));
  }
  for (; i < n; i++) {
    float v = x[i];
    dx[i] = dy[i] * (v != v ? v : v > 0.0f ? 1.0f : alpha);
  }
}

/* out = x[b0 .. b0+s0][b1 .. b1+s1][b2 .. b2+s2][b3 .. b3+s3] for x of
 * shape [d0][d1][d2][d3]: a block of a tensor of rank 4 (or less, with
 * leading sizes of 1), copied run by run of its last axis. */
void slice4(const float *x, float *out, int d1, int d2, int d3, int b0,
            int b1, int b2, int b3, int s0, int s1, int s2, int s3) {
  for (int i = 0; i < s0; i++) {
    for (int j = 0; j < s1; j++) {
      for (int k = 0; k < s2; k++) {
        const float *from = x + (((b0 + i) * d1 + b1 + j) * d2 + b2 + k) * d3 + b3;
        int l = 0;
        for (; l + 4 <= s3; l += 4) {
          wasm_v128_store(out + l, wasm_v128_load(from + l));
        }
        for (; l < s3; l++) out[l] = from[l];
        out += s3;
      }
    }
  }
}

/* Rows of images kept as their nonzero gray levels (lib/fast/gray_levels.ts): row
 * r's values are levels[starts[r] .. starts[r+1]), in the columns
 * where[...]. Writes rows indices[0..n) into out [n][width], as the floats
 * table[level], and zeros elsewhere. The caller checks every index.
 * Exported by its attribute (tools/build_simd.ts lists the others). */
__attribute__((export_name("gather_levels")))
void gather_levels(const unsigned *starts, const unsigned short *where,
                   const unsigned char *levels, const float *table,
                   const int *indices, int n, int width, float *out) {
  __builtin_memset(out, 0, (unsigned long)n * width * sizeof(float));
  for (int k = 0; k < n; k++) {
    float *row = out + k * width;
    unsigned end = starts[indices[k] + 1];
    for (unsigned e = starts[indices[k]]; e < end; e++) {
      row[where[e]] = table[levels[e]];
    }
  }
}

/* The nonzero entries of the rows indices[0..n) of images kept as their gray
 * levels (as gather_levels reads them), in the form list_nonzeros gives for
 * the batch gather_levels writes: out_starts[0..n], out_where (columns) and
 * out_value (table[level]), row by row, columns rising. The same lists, entry
 * for entry, without reading the batch: the product of a batch just gathered
 * (lib/fast/routines.ts, piece handedNonzeros) need not look for its zeros.
 * Exported by its attribute. */
__attribute__((export_name("list_levels")))
void list_levels(const unsigned *starts, const unsigned short *where,
                 const unsigned char *levels, const float *table,
                 const int *indices, int n, int *out_starts, int *out_where,
                 float *out_value) {
  int count = 0;
  for (int k = 0; k < n; k++) {
    out_starts[k] = count;
    unsigned end = starts[indices[k] + 1];
    for (unsigned e = starts[indices[k]]; e < end; e++, count++) {
      out_where[count] = where[e];
      out_value[count] = table[levels[e]];
    }
  }
  out_starts[n] = count;
}
