package bertft.hub;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import bertft.UserError;
import bertft.model.ModelStore;
import java.util.List;
import org.junit.jupiter.api.Test;

class HubIdTest {
    @Test
    void parsesIdsTheWayPythonUsersWriteThem() {
        assertEquals(new HubId("bert-base-uncased", "main"), HubId.parse("bert-base-uncased").orElseThrow());
        HubId g = HubId.parse("google/bert_uncased_L-4_H-256_A-4@main").orElseThrow();
        assertEquals("google/bert_uncased_L-4_H-256_A-4", g.repo());
        assertEquals("models--google--bert_uncased_L-4_H-256_A-4", g.folder());
        HubId pr = HubId.parse("org/x@refs/pr/1").orElseThrow();
        assertEquals("refs/pr/1", pr.revision());
        assertFalse(pr.pinned());
        String sha = "0123456789abcdef0123456789abcdef01234567";
        assertTrue(HubId.parse("org/x@" + sha).orElseThrow().pinned());
        assertEquals("org/x@v1.0", HubId.parse("org/x@v1.0").orElseThrow().toString());
        assertEquals("org/x", HubId.parse("org/x@main").orElseThrow().toString());
    }

    @Test
    void rejectsPathsAndUnsafeNames() {
        for (String bad : List.of("runs/a/b", "./model", "../x", "/abs/path", "org/..", "a--b/c", "org/x@", "org/x@../y",
                "org/x@a b", "-org/x", "org/x.", "", "org//x", "C:\\models")) {
            assertTrue(HubId.parse(bad).isEmpty(), bad);
        }
    }

    @Test
    void cacheFolderNamesMapBack() {
        assertEquals("google/bert_uncased_L-4_H-256_A-4",
                HubId.repoOfFolder("models--google--bert_uncased_L-4_H-256_A-4").orElseThrow());
        assertEquals("bert-base-uncased", HubId.repoOfFolder("models--bert-base-uncased").orElseThrow());
        assertTrue(HubId.repoOfFolder("datasets--squad").isEmpty());
    }

    @Test
    void aMistypedPathBesideAnExistingFolderIsNotSentToTheHub() {
        // 'target/no-such-run' has the shape org/name, but 'target/' is a folder here (Maven's working directory)
        var e = assertThrows(UserError.class, () -> ModelStore.resolve("target/no-such-run", () -> {
            throw new AssertionError("the Hub was asked");
        }));
        assertTrue(e.getMessage().contains("no such checkpoint directory in target"), e.getMessage());
    }
}
