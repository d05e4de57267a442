package bertft.checkpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import bertft.UserError;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TorchUnpicklerTest {
    /** {'a': [2**40, -2**40, -5, 300, 70000, 1.5, None, True, False], 'b': ('x', 'é'), 'c': {}}. */
    private static final Map<String, Object> EXPECTED = new LinkedHashMap<>();

    static {
        EXPECTED.put("a", Arrays.asList(1L << 40, -(1L << 40), -5L, 300L, 70000L, 1.5, null, true, false));
        EXPECTED.put("b", List.of("x", "é"));
        EXPECTED.put("c", Map.of());
    }

    @Test
    void readsProtocol2AsPickleDumpsWritesIt() {
        // pickle.dumps(EXPECTED, protocol=2), Python 3.11
        assertEquals(EXPECTED, load("80027d71002858010000006171015d7102288a060000000000018a060000000000ff4afbffffff"
                + "4d2c014a70110100473ff80000000000004e888965580100000062710358010000007871045802000000c3a97105867106"
                + "58010000006371077d7108752e"));
    }

    @Test
    void readsProtocol4Framing() {
        // pickle.dumps(EXPECTED, protocol=4): FRAME, SHORT_BINUNICODE, MEMOIZE
        assertEquals(EXPECTED, load("8004954b000000000000007d94288c0161945d94288a060000000000018a060000000000ff4afb"
                + "ffffff4d2c014a70110100473ff80000000000004e8889658c0162948c0178948c02c3a99486948c0163947d94752e"));
    }

    @Test
    void refusesStorageTypesAsCallables() {
        // GLOBAL 'torch FloatStorage'; EMPTY_TUPLE; REDUCE; STOP: allowed as a name, never as a call
        UserError e = assertThrows(UserError.class, () -> load("8002" + hex("ctorch\nFloatStorage\n") + "29522e"));
        assertTrue(e.getMessage().startsWith("t: pickle calls torch.FloatStorage"), e.getMessage());
    }

    @Test
    void refusesUnlistedGlobalsByStackGlobalToo() {
        // SHORT_BINUNICODE 'builtins'; SHORT_BINUNICODE 'eval'; STACK_GLOBAL
        UserError e = assertThrows(UserError.class, () -> load("8004" + "8c08" + hex("builtins") + "8c04" + hex("eval") + "93"));
        assertTrue(e.getMessage().startsWith("t: pickle references builtins.eval"), e.getMessage());
    }

    private static Object load(String hex) {
        return TorchUnpickler.load("t", HexFormat.of().parseHex(hex));
    }

    private static String hex(String ascii) {
        return HexFormat.of().formatHex(ascii.getBytes());
    }
}
