<?php
// This file is part of the Stream Portal companion plugin for Moodle - https://moodle.org/
// GNU GPL v3 or later.

namespace assignsubmission_streamportal\external;

defined('MOODLE_INTERNAL') || die();

global $CFG;
require_once($CFG->libdir . '/externallib.php');

use external_api;
use external_function_parameters;
use external_multiple_structure;
use external_single_structure;
use external_value;

/**
 * A user's IOMAD companies with manager type: what no core or IOMAD function returns.
 *
 * @package    assignsubmission_streamportal
 * @copyright  2026 Stream Portal
 * @license    http://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */
class get_user_context extends external_api {

    /**
     * Parameters.
     *
     * @return external_function_parameters
     */
    public static function execute_parameters() {
        return new external_function_parameters([
            'userid' => new external_value(PARAM_INT, 'User id (OIDC sub)'),
        ]);
    }

    /**
     * Companies of the user; iomad=false and no companies on plain Moodle.
     *
     * @param int $userid
     * @return array
     */
    public static function execute($userid) {
        global $DB;
        $params = self::validate_parameters(self::execute_parameters(), compact('userid'));
        $context = \context_system::instance();
        self::validate_context($context);
        require_capability('assignsubmission/streamportal:readusercontext', $context);
        $user = \core_user::get_user($params['userid']);
        if (!$user || $user->deleted) {
            throw new \dml_missing_record_exception('user', '', ['id' => $params['userid']]);   // invaliduser, as core.
        }
        $companies = [];
        $iomad = $DB->get_manager()->table_exists('company_users');
        if ($iomad) {
            // One row per company: the highest managertype and the first department.
            $sql = "SELECT cu.companyid, c.name, c.shortname, c.suspended,
                           MAX(cu.managertype) AS managertype, MIN(cu.departmentid) AS departmentid,
                           MAX(cu.educator) AS educator
                      FROM {company_users} cu
                      JOIN {company} c ON c.id = cu.companyid
                     WHERE cu.userid = :userid
                  GROUP BY cu.companyid, c.name, c.shortname, c.suspended
                  ORDER BY cu.companyid";
            foreach ($DB->get_records_sql($sql, ['userid' => $user->id]) as $row) {
                $companies[] = [
                    'companyid' => (int)$row->companyid, 'name' => $row->name, 'shortname' => $row->shortname,
                    'managertype' => (int)$row->managertype, 'departmentid' => (int)$row->departmentid,
                    'educator' => (int)$row->educator, 'suspended' => (bool)$row->suspended,
                ];
            }
        }
        return ['userid' => (int)$user->id, 'issiteadmin' => is_siteadmin($user), 'iomad' => $iomad,
            'companies' => $companies];
    }

    /**
     * Return structure.
     *
     * @return external_single_structure
     */
    public static function execute_returns() {
        return new external_single_structure([
            'userid' => new external_value(PARAM_INT, 'User id'),
            'issiteadmin' => new external_value(PARAM_BOOL, 'Site administrator'),
            'iomad' => new external_value(PARAM_BOOL, 'IOMAD is installed'),
            'companies' => new external_multiple_structure(new external_single_structure([
                'companyid' => new external_value(PARAM_INT, 'Company id'),
                'name' => new external_value(PARAM_TEXT, 'Company name'),
                'shortname' => new external_value(PARAM_TEXT, 'Company short name'),
                'managertype' => new external_value(PARAM_INT, '0 user, 1 company manager, 2 department manager, 4 reporter'),
                'departmentid' => new external_value(PARAM_INT, 'First department'),
                'educator' => new external_value(PARAM_INT, 'Educator flag'),
                'suspended' => new external_value(PARAM_BOOL, 'Company suspended'),
            ])),
        ]);
    }
}
