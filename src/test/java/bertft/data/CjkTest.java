package bertft.data;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

class CjkTest {
    @Test
    void chineseWordsJoinWithoutSpacesOthersWithOne() {
        assertEquals("本报北京 5 月 2 日讯，记者", Cjk.join(List.of("本", "报", "北", "京", "5", "月", "2", "日", "讯", "，", "记", "者")));
        assertEquals("Sony 的 PS5 很好", Cjk.join(List.of("Sony", "的", "PS5", "很", "好")));
        assertEquals("the battery died", Cjk.join(List.of("the", "battery", "died")));
        assertEquals("", Cjk.join(List.of()));
        assertEquals("京", Cjk.join(List.of("京")));
    }
}
