#!/usr/bin/python3
# Offline cost of sig-bin context candidates for one tensor's update levels, with the codec's adaptive binary model
# (fast 1/32 + slow 1/256 estimates). Input: the file UpdateLevelsDumpMain writes (src/test/java/io/nnzip/codec/dom).
# Usage: update_level_contexts.py LEVELS.bin
import sys, numpy as np, math
ONE=32768
def cost(bits, ctxs, nctx):
    f = np.full(nctx, ONE//2); l = np.full(nctx, ONE//2); tot = 0.0
    for b, c in zip(bits.tolist(), ctxs.tolist()):
        p = (f[c] + l[c]) / 2 / ONE
        tot += -math.log2(p if b else 1 - p)
        if b: f[c] += (ONE - f[c]) >> 5; l[c] += (ONE - l[c]) >> 8
        else: f[c] -= f[c] >> 5; l[c] -= l[c] >> 8
    return tot / 8
raw = np.fromfile(sys.argv[1], dtype='<i4'); R, C = raw[0], raw[1]; q = raw[2:].reshape(R, C)
nz = q != 0
print('rows', R, 'rowLen', C, 'nonzero %.4f' % nz.mean(), '|q|>1 %.4f' % (np.abs(q) > 1).mean())
cd = nz.mean(0)
print('density by column decile:', [round(float(x), 4) for x in [cd[int(C*k/10):int(C*(k+1)/10)].mean() for k in range(10)]])
print('col density quantiles', np.quantile(cd, [0, .1, .5, .9, 1]).round(4), 'row', np.quantile(nz.mean(1), [0, .1, .5, .9, 1]).round(4))
qf = q.reshape(-1); nzf = nz.reshape(-1).astype(int)
a = np.abs(np.concatenate([[0], qf[:-1]])); bb = np.abs(np.concatenate([[0, 0], qf[:-2]]))
nb = np.where(a == 0, 0, np.where(a == 1, 2, 4)) + (bb != 0)
print('sig nb only: %.0f B' % cost(nzf, nb, 6))
# column activity as implemented
cnt = np.vstack([np.zeros((1, C)), np.cumsum(nz, 0)[:-1]])
vis = np.arange(R)[:, None] * np.ones((1, C))
nzs = np.concatenate([[0], np.cumsum(nzf)[:-1]]).reshape(R, C); seen = np.arange(R * C).reshape(R, C)
A = (2 * cnt + 1) * (seen + 2); B = 2 * vis * (nzs + 1)
cls = np.where(vis == 0, 0, np.where(2 * A < B, 1, np.where(A < 2 * B, 2, 3))).reshape(-1)
print('sig nb x colActivity(4): %.0f B' % cost(nzf, nb * 4 + cls, 24))
# column position bucket (decile)
pos = (np.arange(C) * 8 // C)[None, :] * np.ones((R, 1), int)
print('sig nb x colPos(8): %.0f B' % cost(nzf, nb * 8 + pos.reshape(-1).astype(int), 48))
print('sig nb x colPos(8) x colAct(4): %.0f B' % cost(nzf, (nb * 8 + pos.reshape(-1).astype(int)) * 4 + cls, 192))
# count of nonzeros in the window of the previous 8 levels of the row
w8 = np.zeros_like(q)
for k in range(1, 9): w8[:, k:] += nz[:, :-k]
w8c = np.minimum(w8, 3).reshape(-1)
print('sig w8(4): %.0f B, w8 x colAct: %.0f B' % (cost(nzf, w8c, 4), cost(nzf, w8c * 4 + cls, 16)))
# previous row: nonzeros within +-2 columns
pr = np.zeros_like(q)
for d in (-2, -1, 0, 1, 2):
    sh = np.roll(nz, d, axis=1).astype(int); pr[1:] += sh[:-1]
prc = np.minimum(pr, 2).reshape(-1)
print('sig nb x prevrow5(3): %.0f B' % cost(nzf, nb * 3 + prc, 18))
print('sig nb x w8 x colAct: %.0f B' % cost(nzf, (nb * 4 + w8c) * 4 + cls, 96))
print('sign/mag ~ %.0f B (1 bit per nonzero)' % (nz.sum() / 8))
