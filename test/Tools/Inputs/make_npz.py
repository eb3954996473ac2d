import sys
import numpy as np
out = sys.argv[1]
np.savez(f"{out}/good.npz", X=np.array([[1, 2, 3]], np.float32))
np.savez(f"{out}/wrong-name.npz", Z=np.array([[1, 2, 3]], np.float32))
np.savez(f"{out}/wrong-shape.npz", X=np.zeros((1, 4), np.float32))
