package bertft.checkpoint;

/** Half-precision to float32 conversion; Java 17 has no {@code Float.float16ToFloat}. */
final class Float16 {
    private Float16() {}

    /** IEEE 754 binary16 (F16) bits to float; every half value is exactly representable as a float. */
    static float halfToFloat(short bits) {
        int sign = (bits >>> 15) & 1;
        int exp = (bits >>> 10) & 0x1f;
        int mant = bits & 0x3ff;
        if (exp == 0) {
            // zero or subnormal: mant * 2^-24, exact in float32 (no rounding: mant < 2^10)
            float v = mant * 0x1p-24f;
            return sign == 0 ? v : -v;
        }
        // inf and nan keep their payload; normal numbers rebias the exponent from 15 to 127
        int exp32 = exp == 0x1f ? 0xff : exp - 15 + 127;
        return Float.intBitsToFloat((sign << 31) | (exp32 << 23) | (mant << 13));
    }

    /** bfloat16 (BF16) bits to float: bfloat16 is the upper half of a float32. */
    static float bf16ToFloat(short bits) {
        return Float.intBitsToFloat((bits & 0xffff) << 16);
    }
}
