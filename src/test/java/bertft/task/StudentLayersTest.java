package bertft.task;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import bertft.UserError;
import org.junit.jupiter.api.Test;

/** Which teacher layers a shallower student keeps. */
class StudentLayersTest {
    @Test
    void kLayersAreEvenlySpacedFromTheFirstToTheLast() {
        assertArrayEquals(new int[] {0, 3, 5}, TaskSpec.studentLayers("3", 6, "k"));
        assertArrayEquals(new int[] {0, 4, 7, 11}, TaskSpec.studentLayers("4", 12, "k"));
        assertArrayEquals(new int[] {5}, TaskSpec.studentLayers("1", 6, "k"), "one layer: the last");
        assertArrayEquals(new int[] {0, 1, 2, 3, 4, 5}, TaskSpec.studentLayers("6", 6, "k"), "all: a copy");
        assertArrayEquals(new int[] {0, 2, 4}, TaskSpec.studentLayers("0, 2,4", 6, "k"), "listed");
    }

    @Test
    void countsAndIndicesBeyondTheTeacherAreRefused() {
        assertEquals("k: 7 is more layers than the teacher has (6)",
                assertThrows(UserError.class, () -> TaskSpec.studentLayers("7", 6, "k")).getMessage());
        assertEquals("k: layer 6 is past the teacher's last layer (5; layers count from 0)",
                assertThrows(UserError.class, () -> TaskSpec.studentLayers("0,6", 6, "k")).getMessage());
        assertEquals("k: '2,2' must list layer indices from 0 in increasing order",
                assertThrows(UserError.class, () -> TaskSpec.studentLayers("2,2", 6, "k")).getMessage());
        assertEquals("k: '-1,2' must list layer indices from 0 in increasing order",
                assertThrows(UserError.class, () -> TaskSpec.studentLayers("-1,2", 6, "k")).getMessage());
    }
}
