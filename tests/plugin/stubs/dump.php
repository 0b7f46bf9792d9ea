<?php
// Evaluates one of the plugin's definition files with just enough of Moodle stubbed and prints
// what it defines as JSON:
//   php dump.php lang <plugin dir>                          -> $string
//   php dump.php access <plugin dir> <iomad 0|1>            -> $capabilities
//   php dump.php services <plugin dir> <iomad block dir|''> -> $services
define('MOODLE_INTERNAL', true);
foreach (['RISK_PERSONAL' => 8, 'RISK_DATALOSS' => 32, 'CONTEXT_MODULE' => 70, 'CONTEXT_SYSTEM' => 10,
          'CAP_ALLOW' => 1] as $name => $value) {
    define($name, $value);
}
list(, $what, $plugin) = $argv;
$arg = $argv[3] ?? '';

function get_role_archetypes() {
    global $arg;
    $core = ['manager', 'coursecreator', 'editingteacher', 'teacher', 'student', 'guest', 'user', 'frontpage'];
    $iomad = ['companymanager', 'companydepartmentmanager', 'companycourseeditor', 'companycoursenoneditor',
        'clientadministrator', 'clientreporter', 'companyreporter'];
    $names = $arg === '1' ? array_merge($core, $iomad) : $core;
    return array_combine($names, $names);
}

class core_component {
    public static function get_component_directory($component) {
        global $arg;
        return ($component === 'block_iomad_company_admin' && $arg !== '') ? $arg : null;
    }
}

if ($what === 'lang') {
    $string = [];
    require($plugin . '/lang/en/assignsubmission_streamportal.php');
    echo json_encode($string);
} else if ($what === 'access') {
    require($plugin . '/db/access.php');
    echo json_encode($capabilities);
} else {
    require($plugin . '/db/services.php');
    echo json_encode($services);
}
