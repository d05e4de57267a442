package bertft;

import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.tngtech.archunit.core.domain.Dependency;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * The package layering of docs/architecture.md: a package may use the packages listed before it, never one
 * listed after it; the root package {@code bertft} ({@code UserError}, {@code Version}, {@code ExitCodes},
 * {@code AtomicFiles}, ...) sits below them all. A new package gets its place in {@link #LAYERS}.
 */
class ArchitectureTest {
    /** Lowest first. */
    static final List<String> LAYERS = List.of("", "eval", "report", "task", "text", "hub", "data", "checkpoint",
            "model", "onnx", "infer", "qa", "train", "baseline", "run", "adapt", "tune", "bench", "api", "serve", "spark",
            "cli");

    private static final JavaClasses CLASSES = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("bertft");

    @Test
    void everyPackageUsesOnlyThoseBelowIt() {
        // package -> package it must not use, with one dependency that shows it
        Map<String, String> upward = new TreeMap<>();
        for (JavaClass c : CLASSES) {
            for (Dependency d : c.getDirectDependenciesFromSelf()) {
                String from = layer(c);
                String to = layer(d.getTargetClass());
                if (to != null && LAYERS.indexOf(to) > LAYERS.indexOf(from)) {
                    upward.putIfAbsent(name(from) + " -> " + name(to), d.getDescription());
                }
            }
        }
        assertEquals("", String.join("\n", upward.entrySet().stream().map(e -> e.getKey() + ": " + e.getValue())
                .toList()), "dependencies pointing up");
    }

    @Test
    void everyPackageHasAPlace() {
        assertEquals(List.of(), CLASSES.stream().map(ArchitectureTest::layer).distinct()
                .filter(p -> !LAYERS.contains(p)).toList(), "packages missing from LAYERS");
    }

    /** Every manager is made on bert-ft's device ({@code Torch.newManager}), never on DJL's default alone. */
    @Test
    void managersAreMadeOnTheChosenDevice() {
        com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses().that()
                .doNotHaveFullyQualifiedName("bertft.model.Torch")
                .should().callMethod(ai.djl.ndarray.NDManager.class, "newBaseManager")
                .because("Torch.newManager() puts tensors on --device")
                .check(new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                        .importPackages("bertft"));
    }

    @Test
    void noCycles() {
        slices().matching("bertft.(*)..").should().beFreeOfCycles().check(CLASSES);
    }

    /** The top-level package under bertft ("" for the root), or null for a class outside bert-ft. */
    private static String layer(JavaClass c) {
        String p = c.getPackageName();
        if (p.equals("bertft")) {
            return "";
        }
        return p.startsWith("bertft.") ? p.substring("bertft.".length()).split("\\.")[0] : null;
    }

    private static String name(String layer) {
        return layer.isEmpty() ? "(root)" : layer;
    }
}
