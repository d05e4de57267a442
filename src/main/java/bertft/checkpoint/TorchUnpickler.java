package bertft.checkpoint;

import static bertft.checkpoint.PyTorchBin.ADVICE;

import bertft.UserError;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A pickle machine for torch.save's {@code data.pkl} that builds data and tensor views only.
 *
 * <p>It knows containers, numbers and strings, plus the few globals a state dict uses; any other global is
 * refused when it is named, so there is no way for a pickle to call anything. Dicts come back as
 * {@link LinkedHashMap}, tuples and lists as {@link List}, integers as {@link Long}, tensors as {@link Tensor}.
 */
final class TorchUnpickler {
    enum DType {
        F32(4, true), F16(2, true), BF16(2, true), I64(8, false), I32(4, false);

        final int size;
        final boolean floating;

        DType(int size, boolean floating) {
            this.size = size;
            this.floating = floating;
        }
    }

    record Storage(DType dtype, String key) {}

    /** A view into a storage, in elements: tensor[i, j] = storage[offset + i * stride[0] + j * stride[1]]. */
    record Tensor(Storage storage, long offset, long[] size, long[] stride) {}

    private record Global(String name) {}

    private static final Map<String, DType> STORAGES = Map.of("torch.FloatStorage", DType.F32,
            "torch.HalfStorage", DType.F16, "torch.BFloat16Storage", DType.BF16,
            "torch.LongStorage", DType.I64, "torch.IntStorage", DType.I32);
    private static final Set<String> CALLABLES = Set.of(
            "collections.OrderedDict", "torch._utils._rebuild_tensor_v2", "torch._utils._rebuild_parameter");

    private final String where;
    private final byte[] bytes;
    private final ByteBuffer in;
    private final List<Object> stack = new ArrayList<>();
    private final Deque<Integer> marks = new ArrayDeque<>();
    private final Map<Integer, Object> memo = new HashMap<>();

    private TorchUnpickler(String where, byte[] bytes) {
        this.where = where;
        this.bytes = bytes;
        this.in = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    }

    /** Runs the pickle and returns its result; {@code where} starts every error message. */
    static Object load(String where, byte[] pickle) {
        return new TorchUnpickler(where, pickle).run();
    }

    private Object run() {
        try {
            while (true) {
                int op = in.get() & 0xff;
                switch (op) {
                    case 0x80 -> in.get(); // PROTO
                    case 0x95 -> in.getLong(); // FRAME: a read-ahead hint
                    case '.' -> { // STOP
                        return pop();
                    }
                    case '(' -> marks.push(stack.size()); // MARK
                    case '0' -> pop(); // POP
                    case '1' -> popMark(); // POP_MARK
                    case 'N' -> stack.add(null); // NONE
                    case 0x88 -> stack.add(true); // NEWTRUE
                    case 0x89 -> stack.add(false); // NEWFALSE
                    case 'J' -> stack.add((long) in.getInt()); // BININT
                    case 'K' -> stack.add((long) (in.get() & 0xff)); // BININT1
                    case 'M' -> stack.add((long) (in.getShort() & 0xffff)); // BININT2
                    case 0x8a -> stack.add(long1(in.get() & 0xff)); // LONG1
                    case 'G' -> stack.add(Double.longBitsToDouble(Long.reverseBytes(in.getLong()))); // BINFLOAT is big-endian
                    case 'X' -> stack.add(utf8(in.getInt())); // BINUNICODE
                    case 0x8c -> stack.add(utf8(in.get() & 0xff)); // SHORT_BINUNICODE
                    case ')' -> stack.add(List.of()); // EMPTY_TUPLE
                    case ']' -> stack.add(new ArrayList<>()); // EMPTY_LIST
                    case '}' -> stack.add(new LinkedHashMap<>()); // EMPTY_DICT
                    case 't', 'l' -> stack.add(popMark()); // TUPLE, LIST
                    case 0x85, 0x86, 0x87 -> stack.add(popN(op - 0x84)); // TUPLE1, TUPLE2, TUPLE3
                    case 'q' -> memo.put(in.get() & 0xff, top()); // BINPUT
                    case 'r' -> memo.put(in.getInt(), top()); // LONG_BINPUT
                    case 0x94 -> memo.put(memo.size(), top()); // MEMOIZE
                    case 'h' -> stack.add(memoGet(in.get() & 0xff)); // BINGET
                    case 'j' -> stack.add(memoGet(in.getInt())); // LONG_BINGET
                    case 'c' -> stack.add(global(line() + "." + line())); // GLOBAL
                    case 0x93 -> { // STACK_GLOBAL
                        String name = (String) pop();
                        stack.add(global(pop() + "." + name));
                    }
                    case 'Q' -> stack.add(persistentLoad((List<?>) pop())); // BINPERSID
                    case 'R' -> { // REDUCE
                        List<?> args = (List<?>) pop();
                        stack.add(call((Global) pop(), args));
                    }
                    case 's' -> { // SETITEM
                        Object value = pop();
                        Object key = pop();
                        dict().put(key, value);
                    }
                    case 'u', 'd' -> { // SETITEMS, DICT
                        List<Object> items = popMark();
                        if (op == 'd') {
                            stack.add(new LinkedHashMap<>());
                        }
                        for (int i = 0; i + 1 < items.size(); i += 2) {
                            dict().put(items.get(i), items.get(i + 1));
                        }
                    }
                    case 'a' -> { // APPEND
                        Object value = pop();
                        list().add(value);
                    }
                    case 'e' -> { // APPENDS
                        List<Object> items = popMark();
                        list().addAll(items);
                    }
                    // BUILD would set attributes; on a state dict that is OrderedDict._metadata, which we do not need
                    case 'b' -> pop();
                    default -> throw new UserError(String.format("%s: unsupported pickle opcode 0x%02x at byte %d%s",
                            where, op, in.position() - 1, ADVICE));
                }
            }
        } catch (UserError e) {
            throw e;
        } catch (RuntimeException e) { // truncated input, wrong types on the stack, bad lengths
            throw new UserError(where + ": malformed pickle near byte " + in.position() + " ("
                    + (e instanceof java.nio.BufferUnderflowException ? "it ends early; is the file truncated?"
                    : "unexpected data; is the file damaged?") + ")", e);
        }
    }

    private Object global(String name) {
        if (!CALLABLES.contains(name) && !STORAGES.containsKey(name)) {
            throw new UserError(where + ": pickle references " + name + ", which is not part of a state dict" + ADVICE);
        }
        return new Global(name);
    }

    /** torch.save's persistent id for a storage: ('storage', storage_type, key, location, numel). */
    private Storage persistentLoad(List<?> pid) {
        if (pid.size() != 5 || !"storage".equals(pid.get(0)) || !(pid.get(1) instanceof Global type)
                || !STORAGES.containsKey(type.name()) || !(pid.get(2) instanceof String key)) {
            throw new UserError(where + ": unexpected persistent id " + pid);
        }
        return new Storage(STORAGES.get(type.name()), key);
    }

    private Object call(Global fn, List<?> args) {
        switch (fn.name()) {
            case "collections.OrderedDict" -> {
                if (!args.isEmpty()) { // torch.save passes none: the items follow as SETITEMS
                    throw new UserError(where + ": unexpected OrderedDict arguments " + args);
                }
                return new LinkedHashMap<>();
            }
            case "torch._utils._rebuild_tensor_v2" -> { // (storage, offset, size, stride, requires_grad, hooks[, metadata])
                return new Tensor((Storage) args.get(0), (Long) args.get(1), longs(args.get(2)), longs(args.get(3)));
            }
            case "torch._utils._rebuild_parameter" -> { // (data, requires_grad, hooks)
                return (Tensor) args.get(0);
            }
            default -> throw new UserError(where + ": pickle calls " + fn.name() + ", which only names a type" + ADVICE);
        }
    }

    private static long[] longs(Object tuple) {
        return ((List<?>) tuple).stream().mapToLong(x -> (Long) x).toArray();
    }

    private long long1(int n) { // little-endian two's complement; BigInteger wants big-endian
        byte[] b = new byte[n];
        for (int i = n - 1; i >= 0; i--) {
            b[i] = in.get();
        }
        return n == 0 ? 0 : new BigInteger(b).longValueExact();
    }

    private String utf8(int n) {
        String s = new String(bytes, in.position(), n, StandardCharsets.UTF_8);
        in.position(in.position() + n);
        return s;
    }

    private String line() {
        int start = in.position();
        while (in.get() != '\n') {
            // scan to the end of the line
        }
        return new String(bytes, start, in.position() - 1 - start, StandardCharsets.US_ASCII);
    }

    private Object memoGet(int i) {
        if (!memo.containsKey(i)) {
            throw new UserError(where + ": pickle reads memo slot " + i + " before writing it");
        }
        return memo.get(i);
    }

    private Object pop() {
        return stack.remove(stack.size() - 1);
    }

    private Object top() {
        return stack.get(stack.size() - 1);
    }

    private List<Object> popN(int n) {
        List<Object> tail = stack.subList(stack.size() - n, stack.size());
        List<Object> out = new ArrayList<>(tail);
        tail.clear();
        return out;
    }

    private List<Object> popMark() {
        return popN(stack.size() - marks.pop());
    }

    @SuppressWarnings("unchecked")
    private Map<Object, Object> dict() {
        return (Map<Object, Object>) top();
    }

    @SuppressWarnings("unchecked")
    private List<Object> list() {
        return (List<Object>) top();
    }
}
