import sys
import numpy as np
out = sys.argv[1]
np.savez(f"{out}/good.npz", X=np.array([[1, 2, 3]], np.float32))
np.savez(f"{out}/wrong-name.npz", Z=np.array([[1, 2, 3]], np.float32))
np.savez(f"{out}/wrong-shape.npz", X=np.zeros((1, 4), np.float32))
np.savez(f"{out}/float64.npz", X=np.array([[1, 2, 3]], np.float64))
np.savez(f"{out}/int64.npz", X=np.array([[1, 2, 3]], np.int64))
np.savez(f"{out}/extra.npz", X=np.array([[1, 2, 3]], np.float32), W=np.zeros(2, np.float32))
np.savez(f"{out}/stack.npz", X=np.array([[1, 2, 3], [4, 5, 6]], np.float32))
# int8 arrays carry INT4 inputs; 8 does not fit.
np.savez(f"{out}/int4-x.npz", X=np.array([-8, -1, 0, 3, 7], np.int8))
np.savez(f"{out}/int4-x-out-of-range.npz", X=np.array([-8, -1, 0, 8, 7], np.int8))
