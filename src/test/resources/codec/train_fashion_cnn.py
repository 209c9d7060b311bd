# Small Fashion-MNIST CNN in numpy, for the codec's acceptance figures (docs/BENCHMARKS-codec.md): writes parent.npz
# (3 epochs), next.npz (+1 epoch) and child0-2.npz (half an epoch each from the parent) into the directory given;
# NpzToOnnx (src/test/java/io/nnzip/codec) turns them into ONNX, ProbeMain measures their test accuracy.
import gzip, numpy as np, sys, os
D='/usr/share/datasets/fashion-mnist/'
def idx(p, off):
    with gzip.open(D+p) as f: return np.frombuffer(f.read(), np.uint8, offset=off)
Xtr = idx('train-images-idx3-ubyte.gz',16).reshape(-1,1,28,28).astype(np.float32)/255
Ytr = idx('train-labels-idx1-ubyte.gz',8).astype(np.int64)
Xte = idx('t10k-images-idx3-ubyte.gz',16).reshape(-1,1,28,28).astype(np.float32)/255
Yte = idx('t10k-labels-idx1-ubyte.gz',8).astype(np.int64)
C1,C2,H=8,16,128
def init(seed):
    r=np.random.default_rng(seed)
    def he(shape, fan): return (r.standard_normal(shape)*np.sqrt(2/fan)).astype(np.float32)
    return {'conv1.weight':he((C1,1,3,3),9),'conv1.bias':np.zeros(C1,np.float32),
            'conv2.weight':he((C2,C1,3,3),C1*9),'conv2.bias':np.zeros(C2,np.float32),
            'fc1.weight':he((H,C2*49),C2*49),'fc1.bias':np.zeros(H,np.float32),
            'fc2.weight':he((10,H),H),'fc2.bias':np.zeros(10,np.float32)}
def im2col(x):
    B,C,Hh,W=x.shape
    xp=np.pad(x,((0,0),(0,0),(1,1),(1,1)))
    v=np.lib.stride_tricks.sliding_window_view(xp,(3,3),axis=(2,3))  # B,C,H,W,3,3
    return v.transpose(0,2,3,1,4,5).reshape(B*Hh*W,C*9)
def col2im(dc,shape):
    B,C,Hh,W=shape
    dc=dc.reshape(B,Hh,W,C,3,3).transpose(0,3,1,2,4,5)
    dxp=np.zeros((B,C,Hh+2,W+2),np.float32)
    for i in range(3):
        for j in range(3): dxp[:,:,i:i+Hh,j:j+W]+=dc[:,:,:,:,i,j]
    return dxp[:,:,1:-1,1:-1]
def conv_f(x,w,b):
    B,C,Hh,W=x.shape; K=w.shape[0]
    cols=im2col(x); y=cols@w.reshape(K,-1).T+b
    return y.reshape(B,Hh,W,K).transpose(0,3,1,2), cols
def conv_b(dy,x,w,cols):
    B,C,Hh,W=x.shape; K=w.shape[0]
    d=dy.transpose(0,2,3,1).reshape(-1,K)
    dw=(d.T@cols).reshape(w.shape); db=d.sum(0)
    dx=col2im(d@w.reshape(K,-1),x.shape)
    return dx,dw,db
def pool_f(x):
    B,C,Hh,W=x.shape; r=x.reshape(B,C,Hh//2,2,W//2,2); m=r.max(axis=(3,5))
    mask=(r==m[:,:,:,None,:,None]); return m,mask
def pool_b(dm,mask,shape):
    d=mask*dm[:,:,:,None,:,None]; return d.reshape(shape)
def forward(p,x,train=False):
    a1,c1=conv_f(x,p['conv1.weight'],p['conv1.bias']); r1=np.maximum(a1,0); m1,k1=pool_f(r1)
    a2,c2=conv_f(m1,p['conv2.weight'],p['conv2.bias']); r2=np.maximum(a2,0); m2,k2=pool_f(r2)
    f=m2.reshape(len(x),-1); h=f@p['fc1.weight'].T+p['fc1.bias']; hr=np.maximum(h,0)
    o=hr@p['fc2.weight'].T+p['fc2.bias']
    return o,(x,a1,c1,r1,m1,k1,a2,c2,r2,m2,k2,f,h,hr)
def backward(p,cache,do):
    x,a1,c1,r1,m1,k1,a2,c2,r2,m2,k2,f,h,hr=cache; g={}
    g['fc2.weight']=do.T@hr; g['fc2.bias']=do.sum(0); dhr=do@p['fc2.weight']; dh=dhr*(h>0)
    g['fc1.weight']=dh.T@f; g['fc1.bias']=dh.sum(0); df=dh@p['fc1.weight']
    dm2=df.reshape(m2.shape); dr2=pool_b(dm2,k2,r2.shape); da2=dr2*(a2>0)
    dm1,g['conv2.weight'],g['conv2.bias']=conv_b(da2,m1,p['conv2.weight'],c2)
    dr1=pool_b(dm1,k1,r1.shape); da1=dr1*(a1>0)
    _,g['conv1.weight'],g['conv1.bias']=conv_b(da1,x,p['conv1.weight'],c1)
    return g
def acc(p):
    c=0
    for s in range(0,len(Xte),1000): c+=(forward(p,Xte[s:s+1000])[0].argmax(1)==Yte[s:s+1000]).sum()
    return c/len(Xte)
def train(p,epochs,lr,seed,n=60000,bs=128):
    r=np.random.default_rng(seed); m={k:np.zeros_like(v) for k,v in p.items()}; v2={k:np.zeros_like(v) for k,v in p.items()}; t=0
    for ep in range(epochs):
        perm=r.permutation(len(Xtr))[:n]
        for s in range(0,n,bs):
            i=perm[s:s+bs]; o,cache=forward(p,Xtr[i])
            e=np.exp(o-o.max(1,keepdims=True)); e/=e.sum(1,keepdims=True); e[np.arange(len(i)),Ytr[i]]-=1; do=(e/len(i)).astype(np.float32)
            g=backward(p,cache,do); t+=1
            for k in p:
                m[k]=0.9*m[k]+0.1*g[k]; v2[k]=0.999*v2[k]+0.001*g[k]**2
                p[k]-=(lr*(m[k]/(1-0.9**t))/(np.sqrt(v2[k]/(1-0.999**t))+1e-8)).astype(np.float32)
    return p
out=sys.argv[1]
p=train(init(0),3,1e-3,1); np.savez(out+'/parent.npz',**p); print('parent',acc(p),flush=True)
q=train({k:v.copy() for k,v in p.items()},1,3e-4,2); np.savez(out+'/next.npz',**q); print('next (+1 epoch)',acc(q),flush=True)
for c in range(3):
    q=train({k:v.copy() for k,v in p.items()},1,3e-4,10+c,n=30000); np.savez(out+'/child%d.npz'%c,**q); print('child',c,acc(q),flush=True)
