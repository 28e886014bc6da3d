"""A software prefetch hint for Numba kernels (private; used by :mod:`sim.graph._phast`).

The multi-origin PHAST sweep and its extraction read 128-byte block rows at scattered
positions of a distance block larger than the L2 cache; each read otherwise waits for
memory before the next one starts. Asking for the row a few steps ahead overlaps those
waits (on Oslo-east, single-threaded: extraction ~45 % and the block sweep 7-20 % faster;
benchmarks/README.md). A prefetch never faults and never changes a result.
"""

from __future__ import annotations

from typing import Any, cast

from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic

_I8P = ir.PointerType(ir.IntType(8))
#: LLVM's overloaded intrinsic is named after its pointer type: ``p0`` with opaque
#: pointers (recent llvmlite), ``p0i8`` with typed ones (older releases)
_NAME = "llvm.prefetch.p0" if str(_I8P) == "ptr" else "llvm.prefetch.p0i8"


@intrinsic
def _prefetch(typingctx: Any, arr: Any, idx: Any) -> Any:
    """``prefetch(arr, i)``: hint that ``arr[i]`` (1-D array) will be read soon."""
    if not isinstance(arr, types.Array) or arr.ndim != 1 or not isinstance(idx, types.Integer):
        return None
    sig = types.void(arr, idx)

    def codegen(context: Any, builder: Any, signature: Any, args: Any) -> Any:
        aryty = signature.args[0]
        ary = context.make_array(aryty)(context, builder, args[0])
        ptr = cgutils.get_item_pointer(context, builder, aryty, ary, [args[1]],
                                       wraparound=False)
        i32 = ir.IntType(32)
        fn = cgutils.get_or_insert_function(
            builder.module, ir.FunctionType(ir.VoidType(), [_I8P, i32, i32, i32]), _NAME)
        # read (0), high temporal locality (3), data cache (1)
        builder.call(fn, [builder.bitcast(ptr, _I8P), ir.Constant(i32, 0),
                          ir.Constant(i32, 3), ir.Constant(i32, 1)])
        return context.get_dummy_value()

    return sig, codegen


#: ``prefetch(arr, i)`` inside Numba kernels (typed as Any: it is called as ``(arr, i)``
#: though the intrinsic's Python signature also takes the typing context)
prefetch = cast(Any, _prefetch)
