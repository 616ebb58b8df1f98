"""A cache prefetch hint for compiled kernels: ``prefetch(a, i)`` asks the CPU to start loading
``a[i]`` and returns at once.

It never changes a result (it reads nothing and writes nothing the program can see; an address
outside ``a`` is harmless, as the hint cannot fault). It lets a serial loop that reads memory at
random (newcomers linking to random members, visitors reading their contact rows) start the
cache misses of the next items while it works on the current one, so they overlap instead of
each costing a full trip to memory. Implemented as LLVM's ``llvm.prefetch`` (read, high
locality, data cache).
"""

from __future__ import annotations

from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic

__all__ = ["prefetch"]

_I32 = ir.IntType(32)


@intrinsic
def prefetch(typingctx, a, i):
    """Hint that ``a[i]`` (a 1-d array, an integer index) will be read soon. Returns nothing."""
    if not (isinstance(a, types.Array) and a.ndim == 1 and isinstance(i, types.Integer)):
        return None
    sig = types.void(a, i)

    def codegen(context, builder, signature, args):
        aty = signature.args[0]
        ary = context.make_array(aty)(context, builder, args[0])
        ptr = cgutils.get_item_pointer(
            context, builder, aty, ary, [args[1]], wraparound=False, boundscheck=False
        )
        i8p = ir.IntType(8).as_pointer()
        fn = cgutils.get_or_insert_function(
            builder.module, ir.FunctionType(ir.VoidType(), [i8p, _I32, _I32, _I32]), "llvm.prefetch.p0i8"
        )
        # (address, 0 = read, 3 = keep in every cache level, 1 = data cache)
        builder.call(
            fn, [builder.bitcast(ptr, i8p), ir.Constant(_I32, 0), ir.Constant(_I32, 3), ir.Constant(_I32, 1)]
        )
        return context.get_dummy_value()

    return sig, codegen
